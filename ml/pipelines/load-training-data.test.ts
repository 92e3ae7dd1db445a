// The training window against the log: a holdout the log never reaches is refused (every model
// would be scored against zeros), one it stops well short of is warned about.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dataQualityLines } from "../data/input/data-quality.ts";
import { InputError } from "../data/input/input-error.ts";
import { loadTrainingData } from "./load-training-data.ts";
import { repeatBuyersInLog } from "./repeat-buyers.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-window-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A log of 40 customers buying every 10 days from 1997-01-01 up to `last`. */
function logUpTo(last: string): string {
  const lines = ["customer_id,date,amount"];
  const end = Date.parse(last);
  for (let c = 0; c < 40; c++) {
    for (let t = Date.parse("1997-01-01") + c * 86_400_000; t <= end; t += 10 * 86_400_000) {
      lines.push(`${c},${new Date(t).toISOString().slice(0, 10)},12.5`);
    }
  }
  const path = join(dir, `log-${last}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const load = (path: string, holdoutEnd?: string) =>
  loadTrainingData({
    path,
    format: "csv",
    calibrationEnd: "1997-09-30",
    ...(holdoutEnd ? { holdoutEnd } : {}),
    timeUnit: "week",
  });

test("a log that ends by the calibration end: an error naming --holdout-end, the last date and what to pass", async () => {
  const path = logUpTo("1997-09-25");
  const error = await load(path, "1998-06-30").catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain("--holdout-end 1998-06-30");
  expect((error as Error).message).toContain("last purchase is on 1997-09-2");
  expect((error as Error).message).toContain("pass a --calibration-end before");
  // Without --holdout-end the same log fits on the whole log, and says nothing is held out.
  const whole = await load(path);
  expect(whole.summaries.options.holdoutEnd).toBeUndefined();
  expect(whole.warnings).toHaveLength(1);
  expect(whole.warnings[0]).toMatch(
    /^no purchase after --calibration-end 1997-09-30 \(the last is on 1997-09-2\d\): nothing is held out; pass an earlier --calibration-end to evaluate$/,
  );
});

// The accuracy probe: a log whose holdout lay after today had those rows skipped as "in the
// future", and the error said only that the holdout was empty.
test("a holdout emptied by rows skipped as in the future: the error counts them", async () => {
  const lines = ["customer_id,date,amount"];
  for (let c = 0; c < 40; c++) {
    for (const date of [`1997-01-0${(c % 9) + 1}`, "1997-05-01", "1997-08-01"]) {
      lines.push(`${c},${date},12.5`);
    }
    lines.push(`${c},2999-01-01,12.5`);
  }
  const path = join(dir, "future.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);
  const error = await load(path, "3000-06-30").catch((e: Error) => e);
  expect((error as Error).message).toContain(
    "holds nothing to evaluate on (40 rows were skipped as date in the future (after ",
  );
  expect((error as Error).message).toContain("check --date-format, day and month swapped?)");
});

test("--calibration-end without --holdout-end: the holdout runs to the log's last purchase, and says so", async () => {
  const loaded = await load(logUpTo("1998-03-31"));
  const end = loaded.summaries.options.holdoutEnd as string;
  expect(end).toMatch(/^1998-03-(2\d|3\d)$/);
  expect(Math.max(...loaded.summaries.holdoutPurchases)).toBeGreaterThan(0);
  expect(loaded.warnings).toEqual([
    `no --holdout-end: the holdout runs from after 1997-09-30 to the log's last purchase (${end}); pass --holdout-end to choose`,
  ]);
});

test("a log that stops months before --holdout-end is warned about; one that reaches it is not", async () => {
  const short = await load(logUpTo("1998-01-31"), "1998-06-30");
  expect(short.warnings).toHaveLength(1);
  expect(short.warnings[0]).toMatch(
    /last purchase is on 1998-01-3\d, \d+ days before --holdout-end/,
  );
  expect(short.warnings[0]).toContain("pass --holdout-end 1998-01-3");
  expect((await load(logUpTo("1998-06-30"), "1998-06-30")).warnings).toEqual([]);
});

test("customer summaries: the account says they are summaries and in which unit t_x and T were read", async () => {
  const path = join(dir, "summaries.csv");
  writeFileSync(
    path,
    ",frequency,recency,T,monetary_value\n1,0.0,0.0,217.0,0\n2,1.0,18.0,198.0,11.9\n",
  );
  const loaded = await loadTrainingData({ path, format: "summary", timeUnit: "day" });
  expect(loaded.quality.summaries).toEqual({ customers: 2, time_unit: "day" });
  expect(dataQualityLines(loaded.quality)[0]).toBe(
    "data: 2 rows read, 2 kept: summaries of 2 customers, t_x and T read in days (--time-unit; lifetimes writes days)",
  );
});

test("no --calibration-end: the last third of the log (a year at most, whole weeks) is held out, and said so", async () => {
  const loaded = await loadTrainingData({
    path: logUpTo("1997-10-31"),
    format: "csv",
    timeUnit: "week",
  });
  // 1997-01-01..1997-10-31 spans 303 days: a third is 101 days, 14 whole weeks.
  expect(loaded.summaries.options.calibrationEnd).toBe(
    new Date(Date.parse("1997-10-31") - 98 * 86_400_000).toISOString().slice(0, 10),
  );
  expect(loaded.summaries.options.holdoutEnd).toBe("1997-10-31");
  expect(loaded.summaries.holdoutLength).toBe(14);
  expect(loaded.warnings[0]).toContain("no --calibration-end: the last 14 weeks of the log");
  const year = await loadTrainingData({
    path: logUpTo("2000-06-30"),
    format: "csv",
    timeUnit: "day",
  });
  expect(year.summaries.holdoutLength).toBe(364);
  // A log of one week cannot be split: said so, with what to pass.
  const error = await loadTrainingData({
    path: logUpTo("1997-01-01"),
    format: "csv",
    timeUnit: "week",
  }).catch((e: Error) => e);
  expect((error as Error).message).toContain("too short to hold a part out");
  expect((error as Error).message).toContain("pass --calibration-end");
});

/** An export in which each of `n` ids is on one line (Olist's per-order customer_id), plus `extra` lines. */
function oneLinePerId(name: string, n: number, extra: string[] = []): string {
  const lines = ["order_id,customer_id,customer_unique_id,order_purchase_timestamp,payment_value"];
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.parse("2017-01-01") + ((i * 7) % 500) * 86_400_000);
    lines.push(
      `o${i},c${i}-${(i * 7919) % 1000},p${i % (n / 2)},${day.toISOString().slice(0, 10)} 10:00:00,${10 + (i % 90)}`,
    );
  }
  const path = join(dir, name);
  writeFileSync(path, `${[...lines, ...extra].join("\n")}\n`);
  return path;
}

const loadOrders = (path: string, customerId: string, calibrationEnd?: string) =>
  loadTrainingData({
    path,
    format: "csv",
    ...(calibrationEnd ? { calibrationEnd, holdoutEnd: "2018-05-15" } : {}),
    columns: { customerId, date: "order_purchase_timestamp", amount: "payment_value" },
    timeUnit: "week",
  });

test("nobody buys twice (a customer column with one id per order): an error naming the column and what to pass", async () => {
  const path = oneLinePerId("orders.csv", 400);
  const error = await loadOrders(path, "customer_id").catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).column).toBe("customer_id");
  expect((error as Error).message).toContain(
    'column "customer_id": none of the 400 customers buys on more than one day',
  );
  expect((error as Error).message).toContain(
    "pass --customer-col naming the column that identifies a person",
  );
  // The person's column may be in another file: the hint says how to join them.
  expect((error as Error).message).toContain("--data FOLDER --query");
  // Each person's id has two orders on different days: that log trains.
  const loaded = await loadOrders(path, "customer_unique_id");
  expect(repeatBuyersInLog(loaded.log!).buyers).toBe(200);
  expect(loaded.summaries.x.some((x) => x > 0)).toBe(true);
});

// A log of one day (a day's export, or a date column that is the export's date) with
// --calibration-end: it was blamed on the customer column, with Olist's customer_id as the likely
// cause, where no column could give anybody a second day.
test("a log of one day: the error says so, not that the customer column names orders", async () => {
  const lines = ["order_id,customer_id,order_purchase_timestamp,payment_value"];
  for (let i = 0; i < 300; i++)
    lines.push(`o${i},c${i % 100},2018-01-05 1${i % 10}:00:00,${10 + (i % 7)}`);
  const path = join(dir, "one-day.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);
  const error = await loadOrders(path, "customer_id", "2018-01-05").catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toContain(
    "the log holds purchases of one day only (2018-01-05): nobody can buy on a second day, so there is no repeat purchasing to learn from",
  );
  expect((error as Error).message).not.toContain("Olist");
});

test("nobody buys again before the calibration end: an error naming it and the first repeat purchase", async () => {
  // Every id once, then customer c0 again on 2018-03-01: only after the calibration end.
  const path = oneLinePerId("late-repeat.csv", 400, ["o-late,c0-0,p-late,2018-03-01 09:00:00,20"]);
  const error = await loadOrders(path, "customer_id", "2018-01-31").catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toContain(
    "--calibration-end 2018-01-31: no customer buys again on or before it (the log's first repeat purchase is on 2018-03-01; 1 customers buy again in all)",
  );
  expect((error as Error).message).toContain("pass a --calibration-end after 2018-03-01");
  // A repeat purchase on the calibration end itself is enough to fit on.
  const onTheDay = oneLinePerId("repeat-on-day.csv", 400, [
    "o-day,c0-0,p,2018-01-31 23:59:00,20",
    "o-holdout,c1-919,p,2018-03-01 10:00:00,20",
  ]);
  expect(
    (await loadOrders(onTheDay, "customer_id", "2018-01-31")).summaries.x.some((x) => x > 0),
  ).toBe(true);
});

test("summaries whose frequency is 0 for everybody: an error naming the column", async () => {
  const path = join(dir, "zeros.csv");
  writeFileSync(path, "customer_id,frequency,recency,T,monetary_value\na,0,0,30,0\nb,0,0,20,0\n");
  const error = await loadTrainingData({ path, format: "summary", timeUnit: "day" }).catch(
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toContain("column x (frequency): 0 for all 2 customers");
});

/** 60 customers a0.. buying every 20 days in 1997, and from 1998 only new ids b0.. (a new platform). */
function newIdsFrom1998(oldIdsIn1998: number): string {
  const lines = ["customer_id,date,amount"];
  const date = (t: number) => new Date(t).toISOString().slice(0, 10);
  for (let c = 0; c < 60; c++) {
    for (
      let t = Date.parse("1997-01-01") + c * 86_400_000;
      t < Date.parse("1998-01-01");
      t += 20 * 86_400_000
    )
      lines.push(`a${c},${date(t)},10`);
    lines.push(`b${c},${date(Date.parse("1998-01-05") + c * 86_400_000)},10`);
    lines.push(`b${c},${date(Date.parse("1998-03-05") + c * 86_400_000)},10`);
  }
  for (let k = 0; k < oldIdsIn1998; k++) lines.push(`a${k},1998-02-0${1 + (k % 9)},10`);
  const path = join(dir, `new-ids-${oldIdsIn1998}.csv`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

test("none of the calibration's customers buys in the holdout (ids changed, a cohort gone): an error, not a model scored against zeros", async () => {
  const load1998 = (path: string) =>
    loadTrainingData({
      path,
      format: "csv",
      calibrationEnd: "1997-12-31",
      holdoutEnd: "1998-04-30",
      timeUnit: "week",
    });
  const error = await load1998(newIdsFrom1998(0)).catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  expect((error as Error).message).toContain(
    "none of the 60 customers who bought by the calibration end buys in the holdout (after 1997-12-31, to 1998-04-30); its buyers are 60 customers who first bought after the calibration end, so every model would be scored against zeros",
  );
  expect((error as Error).message).toContain("map the old ids to the new ones first");
  // Five purchases by old customers: the evaluation runs, with a warning that it rests on five.
  const thin = await load1998(newIdsFrom1998(5));
  expect(thin.warnings).toEqual([
    "WARNING: the calibration's customers make only 5 purchases (purchase days) in the holdout (after 1997-12-31, to 1998-04-30): the holdout scores, and the recommended model chosen by them, rest on those few purchases",
  ]);
  expect((await load1998(newIdsFrom1998(30))).warnings).toEqual([]);
});

// A --query that already joins Olist's files but keeps customer_id as the customer: the hint said
// to join the files with --query, which the user had done; it now says to choose the person's
// column of the query.
test("nobody buys twice in a --query's result: the hint names the query's person column, not a join", async () => {
  const folder = mkdtempSync(join(dir, "olist-"));
  const orders = ["order_id,customer_id,order_purchase_timestamp"];
  const customers = ["customer_id,customer_unique_id"];
  const payments = ["order_id,payment_sequential,payment_value"];
  for (let i = 0; i < 200; i++) {
    orders.push(`o${i},c${i},2017-0${1 + (i % 9)}-1${i % 10} 10:56:33`);
    customers.push(`c${i},p${i % 100}`);
    payments.push(`o${i},1,${10 + (i % 50)}.50`);
  }
  for (const [name, lines] of Object.entries({ orders, customers, payments }))
    writeFileSync(join(folder, `${name}.csv`), `${lines.join("\n")}\n`);
  const query =
    "SELECT o.customer_id, c.customer_unique_id, o.order_purchase_timestamp, p.payment_value FROM orders o JOIN customers c USING (customer_id) JOIN payments p USING (order_id)";
  const error = await loadTrainingData({
    path: folder,
    format: "csv",
    columns: {
      customerId: "customer_id",
      date: "order_purchase_timestamp",
      amount: "payment_value",
    },
    log: { source: { kind: "query", path: folder, query } },
    timeUnit: "week",
  }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(InputError);
  const message = (error as Error).message;
  expect(message).toContain('column "customer_id": none of the 200 customers');
  expect(message).toContain("pass --customer-col customer_unique_id");
  expect(message).not.toContain("--data FOLDER --query");
});
