// A run of day-first dates in a month-first column (a month exported on another machine): its
// dates past the 12th were skipped as unreadable and the rest read with day and month swapped
// (562 of 1,436 lines of one month on a probe's folder of exports, silently). Now the read stops,
// naming the line and both layouts; a few such dates (typos) are skipped as before, and a format
// passed is taken as meant.
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  readCsvLog as read,
} from "../../testing/log-files.ts";
import { OTHER_ORDER_AT_LEAST, otherDayOrder } from "./day-order.ts";
import { InputError } from "./input-error.ts";

const pad = (n: number) => String(n).padStart(2, "0");
/** `n` purchases month first (days 1-28 of Jan-Jun 2021), one customer each. */
const monthFirst = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return `m${k},${pad(1 + (k % 6))}/${pad(1 + (k % 28))}/2021,${10 + (k % 7)}`;
  });
/** `n` purchases of March 2021 written day first (days 1-31). */
const dayFirst = (n: number) =>
  Array.from({ length: n }, (_, i) => `d${i},${pad(1 + (i % 31))}/03/2021,5`);

test("layouts: %d and %m swapped, others none", () => {
  expect(otherDayOrder("%m/%d/%Y %H:%M")).toBe("%d/%m/%Y %H:%M");
  expect(otherDayOrder("%-d.%-m.%Y")).toBe("%-m.%-d.%Y");
  expect(otherDayOrder("%Y-%m-%d")).toBe("%Y-%d-%m");
  expect(otherDayOrder("%d %b %Y")).toBeNull();
});

test("a run of day-first dates in a month-first column: an error naming the line and both layouts", async () => {
  const lines = [
    "customer_id,date,amount",
    ...monthFirst(200),
    ...dayFirst(62),
    ...monthFirst(50, 200),
  ];
  const path = file(`${lines.join("\n")}\n`);
  const error = await failure(read(path));
  expect(error).toBeInstanceOf(InputError);
  // The first day-first date past the 12th: d12, 13/03/2021, on line 2 + 200 + 12.
  expect(error?.message).toContain(
    'line 214: date "13/03/2021" in column "date" reads only as %d/%m/%Y',
  );
  expect(error?.message).toContain("as 38 dates of the column do, while the rest read as %m/%d/%Y");
  expect((error as InputError).hint).toContain("--date-format '%m/%d/%Y'");
  // Passed, the format is taken as meant: the 38 are skipped as unreadable dates, as before.
  const { quality } = await read(path, { dateFormat: "%m/%d/%Y" });
  expect(Object.values(quality.skipped)).toEqual([38]);
});

test(`fewer than ${OTHER_ORDER_AT_LEAST} such dates (typos) are skipped as unreadable, as before`, async () => {
  const typos = ["t1,25/03/2021,5", "t2,31/01/2021,5"];
  const path = file(`${["customer_id,date,amount", ...monthFirst(200), ...typos].join("\n")}\n`);
  const { log, quality } = await read(path);
  expect(quality.date_format).toBe("%m/%d/%Y");
  expect(Object.values(quality.skipped)).toEqual([2]);
  expect(days(log)).toHaveLength(200);
});

test("in a folder of exports, the error names the file and its own line", async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "day-order-")), "exports");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "2021-02.csv"),
    `customer_id,date,amount\n${monthFirst(300).join("\n")}\n`,
  );
  writeFileSync(join(dir, "2021-03.csv"), `customer_id,date,amount\n${dayFirst(31).join("\n")}\n`);
  const error = await failure(read(dir));
  expect(error?.message).toContain(
    `${join(dir, "2021-03.csv")}: line 14: date "13/03/2021" in column "date" reads only as %d/%m/%Y`,
  );
});

test("the error names only the swapped layouts that read the run, not every chosen layout's swap", async () => {
  // A folder of monthly exports: month first, one month re-saved ISO, one written day first. The
  // ISO layout swapped (%Y-%d-%m) reads none of the day-first run, yet the error said the run
  // "reads only as %d/%m/%Y or %Y-%d-%m" and asked for --date-format '%d/%m/%Y or %Y-%d-%m'.
  const iso = Array.from(
    { length: 100 },
    (_, i) => `i${i},2021-04-${pad(1 + (i % 28))},${10 + (i % 7)}`,
  );
  const lines = ["customer_id,date,amount", ...monthFirst(200), ...iso, ...dayFirst(62)];
  const error = await failure(read(file(`${lines.join("\n")}\n`)));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain("while the rest read as %m/%d/%Y or %Y-%m-%d");
  expect(error?.message).toContain(
    'date "13/03/2021" in column "date" reads only as %d/%m/%Y, as 38',
  );
  expect(error?.message).not.toContain("%Y-%d-%m");
  expect((error as InputError).hint).toContain("apart (their own file, --date-format '%d/%m/%Y')");
});
