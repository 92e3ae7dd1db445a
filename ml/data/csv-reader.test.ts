import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";
import { BadRowError } from "./bad-rows.ts";
import { readCsvLog } from "./csv-reader.ts";
import { dayToIsoDate, isoDateToDay } from "./transaction-log.ts";

const dir = mkdtempSync(join(tmpdir(), "csv-reader-"));
let files = 0;
function file(text: string): string {
  const path = join(dir, `log-${++files}.csv`);
  writeFileSync(path, text);
  return path;
}

const WITH_BAD_ROWS = [
  "customer_id,date,amount", // 1 header
  "a,2020-01-01,10", // 2 ok
  ",2020-01-02,10", // 3 missing id
  "a,2020-02-30,10", // 4 impossible date
  "a,yesterday,10", // 5 unparseable date
  "a,2020-01-03,ten", // 6 non-numeric amount
  "a,2020-01-03,-1", // 7 negative amount
  "a,2020-01-03,Infinity", // 8 non-finite amount
  "a,2020-01-03,", // 9 empty amount
  "a,2020-01-03", // 10 too few columns
  "a,2020-01-03,1,2", // 11 too many columns
  "", // 12 blank: not a row
  "b,20200104,2.5", // 13 ok, YYYYMMDD under "auto"
  "c,2020-01-05T23:59:59-05:00,3", // 14 ok, timestamp: its written date
].join("\n");

test("each kind of bad row is skipped and reported with its line number and field", async () => {
  const { log, report } = await readCsvLog(file(WITH_BAD_ROWS));
  expect(log.length).toBe(3);
  expect(log.customerIds).toEqual(["a", "b", "c"]);
  expect([...log.day].map(dayToIsoDate)).toEqual(["2020-01-01", "2020-01-04", "2020-01-05"]);
  expect([...log.amount]).toEqual([10, 2.5, 3]);
  expect(log.quantity).toBeNull();
  expect(report.rowsRead).toBe(12);
  expect(report.rowsKept).toBe(3);
  expect(report.badRows).toBe(9);
  expect(report.errors.map((e) => [e.line, e.field ?? null])).toEqual([
    [3, "customer_id"],
    [4, "date"],
    [5, "date"],
    [6, "amount"],
    [7, "amount"],
    [8, "amount"],
    [9, "amount"],
    [10, null],
    [11, null],
  ]);
  expect(report.errors[7]?.message).toBe("expected 3 columns, got 2");
});

test('onBadRow "fail" throws at the first bad row, naming line, field and problem', async () => {
  const error = await readCsvLog(file(WITH_BAD_ROWS), { onBadRow: "fail" }).catch((e) => e);
  expect(error).toBeInstanceOf(BadRowError);
  expect(error.line).toBe(3);
  expect(error.field).toBe("customer_id");
  expect(error.message).toMatch(/line 3, field "customer_id": missing customer id/);
});

test("configurable columns, delimiter, quantity, quoted fields and CRLF", async () => {
  const text = [
    "when;who;qty;paid;note",
    '2021-03-01;"x;1";2;5.5;plain',
    '2021-03-02;y;1;4;"said ""hi"""',
    '2021-03-03;y;3;1;"two',
    'lines"', // a quoted field holding a line break: one record, reported from line 4
    "2021-03-04;z;-2;1;bad quantity", // line 6
  ].join("\r\n");
  const { log, report } = await readCsvLog(file(text), {
    columns: { customerId: "who", date: "when", amount: "paid", quantity: "qty" },
    delimiter: ";",
    dateFormat: "iso",
  });
  expect(log.customerIds).toEqual(["x;1", "y"]);
  expect([...(log.quantity as Float64Array)]).toEqual([2, 1, 3]);
  expect([...log.amount]).toEqual([5.5, 4, 1]);
  expect(report.errors).toEqual([
    { line: 6, field: "qty", message: 'not a non-negative finite number: "-2"' },
  ]);
});

test("a header without the configured column is an error naming it", async () => {
  const error = await readCsvLog(file("id,date,amount\n1,2020-01-01,1\n")).catch((e) => e);
  expect(error).toBeInstanceOf(BadRowError);
  expect(error.line).toBe(1);
  expect(error.message).toContain('"customer_id"');
});

test("dateFormat yyyymmdd rejects ISO dates", async () => {
  const { report } = await readCsvLog(
    file("customer_id,date,amount\n1,2020-01-01,1\n1,20200102,1"),
    {
      dateFormat: "yyyymmdd",
    },
  );
  expect(report.errors.map((e) => e.line)).toEqual([2]);
});

test("round trip: simulated log → writeTransactionsCsv → readCsvLog gives the same rows", async () => {
  const pop = simulateParetoNbd(
    { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 },
    { customers: 3000, seed: 21, start: "1997-01-01", timeUnit: "week" },
  );
  const path = join(dir, "round-trip.csv");
  await writeTransactionsCsv(pop.log, path);
  const { log, report } = await readCsvLog(path, { onBadRow: "fail" });
  expect(report.badRows).toBe(0);
  expect(log.length).toBe(pop.log.length);
  expect(log.customerIds).toEqual(pop.log.customerIds.filter((_, k) => k < log.customerIds.length));
  expect(log.day).toEqual(pop.log.day);
  expect(log.amount).toEqual(pop.log.amount);
  expect(log.customer).toEqual(pop.log.customer);
  expect(isoDateToDay("1997-01-01")).toBeLessThanOrEqual(Math.min(...log.day));
});
