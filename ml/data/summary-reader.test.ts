import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarize } from "../features/summaries.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { BadRowError } from "./bad-rows.ts";
import { readSummaryCsv } from "./summary-reader.ts";
import { dayToIsoDate } from "./transaction-log.ts";

const dir = mkdtempSync(join(tmpdir(), "summary-reader-"));
let files = 0;
function file(text: string): string {
  const path = join(dir, `s-${++files}.csv`);
  writeFileSync(path, text);
  return path;
}

test("reads id,x,t_x,T,monetary; bad rows reported with line numbers", async () => {
  const text = [
    "id,x,t_x,T,monetary",
    "1,2,30.42857142857143,38.857142857142854,22.345", // 2 ok
    "2,0,0,38,0", // 3 ok
    "3,1.5,2,38,1", // 4 fractional x
    "4,1,40,38,1", // 5 t_x > T
    "5,0,3,38,0", // 6 t_x > 0 with x = 0
    "2,1,1,38,1", // 7 duplicate id
    "6,1,1,38,-5", // 8 negative monetary
    ",1,1,38,5", // 9 missing id
    "7,1,1", // 10 wrong column count
    "8,1,1,2e6,5", // 11 T past the forecast API's bound
    "9,1,1,38,1e300", // 12 monetary past 1e12
    "a\u0000b,1,1,38,5", // 13 NUL in the id: the registry could not store it
  ].join("\n");
  const { summaries: s, report } = await readSummaryCsv(file(text), {
    calibrationEnd: "1997-09-30",
  });
  expect(s.ids).toEqual(["1", "2"]);
  expect([...s.x]).toEqual([2, 0]);
  expect(s.tx[0]).toBe(30.42857142857143);
  expect([...s.holdoutPurchases]).toEqual([0, 0]);
  // firstDay = calibration end - T: 1997-09-30 - 272 days and - 266 days.
  expect([...s.firstDay].map(dayToIsoDate)).toEqual(["1997-01-01", "1997-01-07"]);
  expect(report.errors.map((e) => [e.line, e.field ?? null])).toEqual([
    [4, "x"],
    [5, "t_x"],
    [6, "t_x"],
    [7, "id"],
    [8, "monetary"],
    [9, "id"],
    [10, null],
    [11, "T"],
    [12, "monetary"],
    [13, "id"],
  ]);
  const error = await readSummaryCsv(file(text), { onBadRow: "fail" }).catch((e) => e);
  expect(error).toBeInstanceOf(BadRowError);
  expect(error.message).toMatch(/line 4, field "x"/);
});

test("a summary no history can give (more repeat days than days) is a bad row naming t_x", async () => {
  // In weeks: 30 repeat purchases, once a day, need 29 days; 4 weeks (28 days) + a day of slack.
  const text = ["id,x,t_x,T,monetary", "a,29,4,6,1", "b,30,4,6,1", "c,1,0,6,1", "d,2,0,6,1"];
  const { summaries: s, report } = await readSummaryCsv(file(text.join("\n")));
  expect(s.ids).toEqual(["a", "c"]);
  expect(report.errors.map((e) => [e.line, e.field, e.message])).toEqual([
    [
      3,
      "t_x",
      "30 repeat purchases need recency >= 4.1429 weeks (purchases count once a day), got 4: are t_x and T in weeks (--time-unit) and x counted once a day?",
    ],
    [
      5,
      "t_x",
      "2 repeat purchases need recency >= 0.1429 weeks (purchases count once a day), got 0: are t_x and T in weeks (--time-unit) and x counted once a day?",
    ],
  ]);
  // Read as days, 29 repeat purchases in 4 days cannot be either.
  const days = await readSummaryCsv(file(text.join("\n")), { timeUnit: "day" });
  expect(days.summaries.ids).toEqual(["c"]);
});

test("a header without T is an error naming it", async () => {
  const error = await readSummaryCsv(file("id,x,t_x,monetary\n1,0,0,0\n")).catch((e) => e);
  expect(error).toBeInstanceOf(BadRowError);
  expect(error.field).toBe("T");
});

test("round trip with summarize, including the optional holdout columns", async () => {
  const pop = simulateBgNbd(
    { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    { customers: 500, seed: 4, start: "1997-01-01", timeUnit: "week" },
  );
  const s = summarize(pop.log, pop.exact.options);
  const lines = ["customer_id,x,t_x,T,monetary,first_spend,holdout_purchases,holdout_spend"];
  for (let i = 0; i < s.n; i++) {
    lines.push(
      [
        s.ids[i],
        s.x[i],
        s.tx[i],
        s.T[i],
        s.monetary[i],
        s.firstSpend[i],
        s.holdoutPurchases[i],
        s.holdoutSpend[i],
      ].join(","),
    );
  }
  const { summaries: back, report } = await readSummaryCsv(file(lines.join("\n")), {
    timeUnit: "week",
    calibrationEnd: s.options.calibrationEnd,
    holdoutEnd: s.options.holdoutEnd as string,
  });
  expect(report.badRows).toBe(0);
  expect(back.ids).toEqual(s.ids);
  for (const key of [
    "x",
    "tx",
    "T",
    "monetary",
    "firstSpend",
    "holdoutPurchases",
    "holdoutSpend",
    "firstDay",
  ] as const) {
    expect(back[key]).toEqual(s[key] as never);
  }
  expect(back.holdoutLength).toBeCloseTo(s.holdoutLength, 12);
});

test("lifetimes' summaries as pandas writes them: the unnamed index, frequency, recency, T, monetary_value", async () => {
  // summary_data_from_transaction_data(...).to_csv(path): days by default.
  const plain = await readSummaryCsv(
    file(",frequency,recency,T,monetary_value\n1,0.0,0.0,217.0,0\n2,1.0,18.0,198.0,11.93\n"),
    { timeUnit: "day" },
  );
  expect(plain.summaries.ids).toEqual(["1", "2"]);
  expect(Array.from(plain.summaries.x)).toEqual([0, 1]);
  expect(Array.from(plain.summaries.tx)).toEqual([0, 18]);
  expect(Array.from(plain.summaries.T)).toEqual([217, 198]);
  expect(Array.from(plain.summaries.monetary)).toEqual([0, 11.93]);
  // calibration_and_holdout_data(...): the _cal columns, and frequency_holdout as the holdout.
  const split = await readSummaryCsv(
    file(
      "customer_id,frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout,monetary_value_holdout,duration_holdout\n" +
        "a,2.0,30.0,60.0,5.5,1.0,7.0,90.0\n",
    ),
    { timeUnit: "day", calibrationEnd: "1997-09-30", holdoutEnd: "1997-12-29" },
  );
  expect(Array.from(split.summaries.x)).toEqual([2]);
  expect(Array.from(split.summaries.holdoutPurchases)).toEqual([1]);
  expect(split.summaries.holdoutLength).toBe(90);
  // Neither naming: the error lists both.
  const error = await readSummaryCsv(file("user,n,last,age\n1,0,0,3\n")).catch((e: Error) => e);
  expect((error as Error).message).toContain("customer_id,frequency,recency,T,monetary_value");
});

test("lifetimes' duration_holdout that disagrees with the dates in --time-unit is an error naming both", async () => {
  // A day-counted calibration_and_holdout_data read as weeks: 273 days of holdout against the
  // dates' 39 weeks. Read on, every forecast was a seventh of the holdout's (2,473 for 14,286).
  const text =
    ",frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout,duration_holdout\n" +
    "1,7.0,66.0,202.0,29.0,0.0,273.0\n2,0.0,0.0,199.0,0.0,1.0,273.0\n";
  const dates = { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30" };
  const weeks = await readSummaryCsv(file(text), { timeUnit: "week", ...dates }).catch(
    (e: Error) => e,
  );
  expect(weeks).toBeInstanceOf(BadRowError);
  expect((weeks as Error).message).toContain('"duration_holdout" is 273');
  expect((weeks as Error).message).toContain("39 weeks");
  // In days it agrees and reads.
  const days = await readSummaryCsv(file(text), { timeUnit: "day", ...dates });
  expect(days.summaries.holdoutLength).toBe(273);
});

test("lifetimes' summaries of a float64 CustomerID (17850.0) are the shop's ids; mixed ids stay as written", async () => {
  const floats = await readSummaryCsv(
    file(
      "CustomerID,frequency,recency,T,monetary_value\n17850.0,1.0,18.0,198.0,11.93\n13047.0,0.0,0.0,217.0,0\n",
    ),
    { timeUnit: "day" },
  );
  expect(floats.summaries.ids).toEqual(["17850", "13047"]);
  expect(floats.floatWrittenIds).toBe("17850.0");
  const mixed = await readSummaryCsv(
    file(
      "CustomerID,frequency,recency,T,monetary_value\n17850.0,1.0,18.0,198.0,11.93\n0042,0.0,0.0,217.0,0\n",
    ),
    { timeUnit: "day" },
  );
  expect(mixed.summaries.ids).toEqual(["17850.0", "0042"]);
  expect(mixed.floatWrittenIds).toBeUndefined();
});
