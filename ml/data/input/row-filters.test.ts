// --keep-rows / --drop-rows: rows left out by the value of a column (an event log's views, an
// order export's cancelled orders) are counted apart from bad rows, never rejected for their other
// fields, and the kept rows read exactly as a file holding only them.
import { expect, spyOn, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { runCliCaptured } from "../../testing/cli-harness.ts";
import {
  purchaseDays as days,
  failure,
  tempLogFile as file,
  LOG_COLUMNS,
  readCsvLog,
} from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { InputError } from "./input-error.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

const HEADER = "customer_id,date,amount,event,status";
const EVENTS = [
  "a,2020-01-01,5,transaction,paid",
  "a,2020-01-02,,view,", // line 3: no amount, left out
  "b,2020-01-03,7,transaction,cancelled",
  "b,2020-01-04,n/a,view,", // line 5: an amount no reader could parse, left out
  "b,2020-01-05,9,transaction,paid",
  "c,2020-01-06,oops,transaction,paid", // line 7: kept by the filter, a bad row
  "c,,3,view,",
];
const log = file([HEADER, ...EVENTS].join("\n"));
const filtered = (kept: (line: string) => boolean) =>
  file([HEADER, ...EVENTS.filter(kept)].join("\n"));

test("--keep-rows reads only the rows it names, and counts the rest apart from bad rows", async () => {
  const { log: read, quality } = await readCsvLog(log, {
    columns: { ...LOG_COLUMNS, keepBy: "event" },
    keepValues: ["transaction"],
  });
  expect(quality.rows_read).toBe(7);
  expect(quality.left_out).toEqual({ filters: ["--keep-rows event=transaction"], rows: 3 });
  // Only the kept row with a bad amount is a bad row, at its own line; "n/a" on line 5 is not.
  expect(quality.skipped).toEqual({ "unreadable amount": 1 });
  expect(quality.examples["unreadable amount"]).toEqual([7]);
  expect(quality.rows_kept).toBe(3);
  const alone = await readCsvLog(filtered((l) => l.includes("transaction") && !l.includes("oops")));
  expect(days(read)).toEqual(days(alone.log));
  expect(dataQualityLines(quality).join("\n")).toContain(
    "left out by --keep-rows event=transaction: 3 rows",
  );
});

test("--drop-rows and --keep-rows together; --on-bad-row fail is not tripped by a left-out row", async () => {
  const both = {
    columns: { ...LOG_COLUMNS, keepBy: "event", dropBy: "status" },
    keepValues: ["transaction"],
    dropValues: ["cancelled", "refunded"],
  };
  const { log: read, quality } = await readCsvLog(log, both);
  expect(quality.left_out?.rows).toBe(4);
  expect(days(read)).toEqual(["a 2020-01-01 5", "b 2020-01-05 9"]);
  // The one bad row left is line 7, a kept row: that is what fails the read, not line 3 or 5.
  const strict = await failure(readCsvLog(log, { ...both, onBadRow: "fail" }));
  expect(strict?.message).toContain("line 7");
  const clean = file([HEADER, ...EVENTS.filter((l) => !l.includes("oops"))].join("\n"));
  expect((await readCsvLog(clean, { ...both, onBadRow: "fail" })).log.length).toBe(2);
});

test("a filter that leaves out every row names the values the column holds", async () => {
  const error = await failure(
    readCsvLog(log, { columns: { ...LOG_COLUMNS, keepBy: "event" }, keepValues: ["Transaction"] }),
  );
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain("every row is left out by --keep-rows event=Transaction");
  expect(error?.message).toContain('"transaction" (4 rows), "view" (3 rows)');
  const missing = await failure(
    readCsvLog(log, { columns: { ...LOG_COLUMNS, dropBy: "state" }, dropValues: ["x"] }),
  );
  expect(missing?.message).toContain('there is no column "state"');
  expect(missing?.message).toContain(
    "pass --drop-rows <column>=<values> with names from those columns",
  );
});

test("hostile filter values: a NUL matches the value holding it, a quote, a lone surrogate and 1e308 as written", async () => {
  const hostile = ["tr\u0000x", "it's", "\ud800", "1e308"];
  const lines = hostile.map((v, i) => `c${i},2020-01-0${i + 1},${i + 1},"${v}",`);
  const path = file([HEADER, ...lines, "z,2020-01-09,9,transaction,"].join("\n"));
  for (const [i, value] of hostile.entries()) {
    const { log: read } = await readCsvLog(path, {
      columns: { ...LOG_COLUMNS, keepBy: "event" },
      keepValues: [value],
    });
    expect(days(read)).toEqual([`c${i} 2020-01-0${i + 1} ${i + 1}`]);
  }
  const { log: rest } = await readCsvLog(path, {
    columns: { ...LOG_COLUMNS, dropBy: "event" },
    dropValues: hostile,
  });
  expect(days(rest)).toEqual(["z 2020-01-09 9"]);
  // A column named with a NUL cannot be spliced into SQL: the error names it, not DuckDB's parser.
  const header = file([HEADER.replace("event", "ev\u0000ent"), ...lines].join("\n"));
  const named = await failure(
    readCsvLog(header, { columns: { ...LOG_COLUMNS, keepBy: "ev\u0000ent" }, keepValues: ["x"] }),
  );
  expect(named).toBeInstanceOf(InputError);
  expect(named?.message).toContain("holds a NUL character");
});

test("a workbook's filter column is read although no other role names it", async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("Orders");
  sheet.addRow(["customer_id", "date", "amount", "status"]);
  sheet.addRow(["a", "2020-01-01", 5, "paid"]);
  sheet.addRow(["a", "2020-01-02", 6, "Cancelled"]);
  sheet.addRow(["b", "2020-01-03", 7, "paid"]);
  const path = file("", "xlsx");
  await book.xlsx.writeFile(path);
  const { log: read, quality } = await readTransactionLog({
    source: { kind: "xlsx", path },
    columns: { ...LOG_COLUMNS, dropBy: "status" },
    dropValues: ["Cancelled"],
  });
  expect(quality.left_out?.rows).toBe(1);
  expect(days(read)).toEqual(["a 2020-01-01 5", "b 2020-01-03 7"]);
});

test("ml train takes --keep-rows and --drop-rows, and refuses one without COLUMN=VALUE", async () => {
  const out = mkdtempSync(join(tmpdir(), "row-filters-"));
  // Customer a buys again by the calibration end: a log in which nobody does is refused.
  const trainable = file([HEADER, ...EVENTS, "a,2020-01-02,6,transaction,paid"].join("\n"));
  const run = await runCliCaptured([
    "train",
    "--data",
    trainable,
    "--keep-rows",
    "event=transaction",
    "--drop-rows",
    "status=cancelled",
    "--calibration-end", // the last purchase's day: nothing held out (b's only purchase is after 01-03)
    "2020-01-05",
    "--evaluate-only",
    "--out",
    out,
  ]);
  expect(run.code).toBe(0);
  expect(run.out).toContain(
    "left out by --keep-rows event=transaction and --drop-rows status=cancelled: 4 rows",
  );
  const bad = await runCliCaptured(["train", "--data", log, "--keep-rows", "event", "--out", out]);
  expect(bad.code).toBe(2); // commander's usage error, written to stderr: "expected COLUMN=VALUE"
});

// A second --drop-rows replaced the first: refunded rows were read as purchases, and the status
// warning then asked for the option already given.
test("--drop-rows given twice on a column leaves out both lists; on another column it is a usage error", async () => {
  const out = mkdtempSync(join(tmpdir(), "row-filters-"));
  const statuses = file(
    [
      "customer_id,date,amount,status",
      "a,2020-01-01,5,paid",
      "a,2020-01-02,6,paid",
      "a,2020-01-03,7,cancelled",
      "a,2020-01-04,8,refunded",
      "b,2020-01-02,3,paid",
      "b,2020-01-05,4,paid",
    ].join("\n"),
  );
  const train = (...filters: string[]) =>
    runCliCaptured([
      "train",
      "--data",
      statuses,
      ...filters,
      "--calibration-end",
      "2020-01-05",
      "--evaluate-only",
      "--out",
      out,
    ]);
  const twice = await train("--drop-rows", "status=cancelled", "--drop-rows", "status=refunded");
  expect(twice.code).toBe(0);
  expect(twice.out).toContain("4 kept; 2 customers, 4 purchase days");
  expect(twice.out).toContain("left out by --drop-rows status=cancelled,refunded: 2 rows");
  expect(twice.out).not.toContain("pass --drop-rows");
  const kept = await train("--keep-rows", "status=paid", "--keep-rows", "status=cancelled");
  expect(kept.out).toContain("left out by --keep-rows status=paid,cancelled: 1 row");
  // Commander writes its usage error to stderr itself.
  const stderr: string[] = [];
  const write = spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const other = await train("--drop-rows", "status=refunded", "--drop-rows", "customer_id=b");
  write.mockRestore();
  expect(other.code).toBe(2);
  expect(stderr.join("")).toContain(
    'one column per option, and "status" is given before "customer_id": give a column\'s values once',
  );
});

// Shopify's order export: one line per item; the order's status and Total on its first line only.
const SHOPIFY = [
  "Name,Email,Financial Status,Total,Created at,Lineitem quantity,Lineitem price",
  "#1,a@x.org,paid,30,2020-01-01 10:00:00 -0500,1,10", // line 2
  "#1,a@x.org,,,2020-01-01 10:00:00 -0500,2,10", // line 3: Total and status on line 2
  "#2,a@x.org,refunded,15,2020-01-05 11:00:00 -0500,1,10", // line 4: refunded
  "#2,a@x.org,,,2020-01-05 11:00:00 -0500,1,5", // line 5: its other item
  "#3,b@x.org,paid,12,2020-01-03 09:00:00 -0500,1,12",
  "#4,a@x.org,paid,8,2020-01-09 09:00:00 -0500,1,8",
].join("\n");
const SHOPIFY_COLUMNS = { customerId: "Email", date: "Created at", order: "Name" };
const PAID = ["a@x.org 2020-01-01 30", "a@x.org 2020-01-09 8", "b@x.org 2020-01-03 12"];

test("an order's status and total written on its first line only: its other lines follow it, and are no bad rows", async () => {
  const path = file(SHOPIFY);
  const byTotal = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { ...SHOPIFY_COLUMNS, amount: "Total", dropBy: "Financial Status" },
    dropValues: ["refunded"],
    onBadRow: "fail",
  });
  expect(days(byTotal.log)).toEqual(PAID);
  expect(byTotal.quality.left_out?.rows).toBe(2); // both lines of the refunded order
  expect(byTotal.quality.order_lines_without_amount).toBe(1); // line 3
  expect(byTotal.quality.skipped).toEqual({});
  expect(byTotal.quality.rows_kept).toBe(4);
  expect(dataQualityLines(byTotal.quality)).toContain(
    "  order lines whose amount is on another line of their order: 1 (part of that purchase)",
  );
  // Line items priced one by one: the refunded order's second item goes with it (it was kept as
  // a purchase of 5 on 2020-01-05, its status being empty).
  const byItems = await readTransactionLog({
    source: { kind: "csv", path },
    columns: {
      ...SHOPIFY_COLUMNS,
      quantity: "Lineitem quantity",
      price: "Lineitem price",
      dropBy: "Financial Status",
    },
    dropValues: ["refunded"],
  });
  expect(days(byItems.log)).toEqual(PAID);
  // --keep-rows the same way: the paid order's unlabelled line is kept with it.
  const kept = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { ...SHOPIFY_COLUMNS, amount: "Total", keepBy: "Financial Status" },
    keepValues: ["paid"],
  });
  expect(days(kept.log)).toEqual(PAID);
  expect(kept.quality.order_lines_without_amount).toBe(1);
  // Without --order-col nothing ties the lines together: a line without an amount is a bad row.
  const unordered = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { customerId: "Email", date: "Created at", amount: "Total" },
  });
  expect(unordered.quality.skipped).toEqual({ "missing amount": 2 });
  // The account says what they may be and what to pass (Shopify names its order column Name).
  expect(unordered.quality.order_column_hint).toBe("");
  expect(dataQualityLines(unordered.quality)).toContain(
    "  lines without an amount may be their order's other lines (an order export writes its total once): if so, pass --order-col naming the column that holds the order id",
  );
  // A column named like an order's is named; a few lines without an amount are not remarked on.
  const renamed = file(SHOPIFY.replace(/^Name,/, "Order ID,"));
  const withOrderId = await readTransactionLog({
    source: { kind: "csv", path: renamed },
    columns: { customerId: "Email", date: "Created at", amount: "Total" },
  });
  expect(dataQualityLines(withOrderId.quality).join("\n")).toContain(
    "if so, pass --order-col 'Order ID'",
  );
  const more = [
    SHOPIFY,
    ...Array.from(
      { length: 60 },
      (_, i) => `#${9 + i},c@x.org,paid,5,2020-02-01 09:00:00 -0500,1,5`,
    ),
  ];
  const few = await readTransactionLog({
    source: { kind: "csv", path: file(more.join("\n")) },
    columns: { customerId: "Email", date: "Created at", amount: "Total" },
  });
  expect(few.quality.skipped).toEqual({ "missing amount": 2 });
  expect(few.quality.order_column_hint).toBeUndefined();
});

// Shopify writes Currency on every line but Financial Status on an order's first line only: with
// both filters, each column's empty cell takes its order's value (a line was judged on its own as
// soon as any filter column held a value, and the refunded order's second item was kept).
const SHOPIFY_CURRENCY = [
  "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem price",
  "#1,a@x.org,paid,USD,30,2020-01-01 10:00:00 -0500,1,10", // line 2
  "#1,a@x.org,,USD,,2020-01-01 10:00:00 -0500,2,10",
  "#2,a@x.org,refunded,USD,15,2020-01-05 11:00:00 -0500,1,10", // line 4: refunded
  "#2,a@x.org,,USD,,2020-01-05 11:00:00 -0500,1,5", // line 5: its other item
  "#3,b@x.org,paid,USD,12,2020-01-03 09:00:00 -0500,1,12",
  "#4,a@x.org,paid,USD,8,2020-01-09 09:00:00 -0500,1,8",
  "#5,c@x.org,refunded,USD,9,2020-01-04 09:00:00 -0500,1,4", // line 8: refunded, c's only order
  "#5,c@x.org,,USD,,2020-01-04 09:00:00 -0500,1,5", // line 9
  "#6,a@x.org,paid,EUR,7,2020-01-06 09:00:00 -0500,1,7", // line 10: another currency
  "#6,a@x.org,,EUR,,2020-01-06 09:00:00 -0500,1,0",
].join("\n");

test("--keep-rows and --drop-rows on an order export: each filter column's empty cells follow the order", async () => {
  const path = file(SHOPIFY_CURRENCY);
  const filters = {
    keepBy: "Currency",
    dropBy: "Financial Status",
  };
  const byItems = await readTransactionLog({
    source: { kind: "csv", path },
    columns: {
      ...SHOPIFY_COLUMNS,
      quantity: "Lineitem quantity",
      price: "Lineitem price",
      ...filters,
    },
    keepValues: ["USD"],
    dropValues: ["refunded"],
  });
  expect(days(byItems.log)).toEqual(PAID); // no phantom c@x.org, no 5 on a's 2020-01-05
  expect(byItems.quality.left_out?.rows).toBe(6);
  // The order's Total: the refunded order's second line is left out with it, not a bad row.
  const byTotal = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { ...SHOPIFY_COLUMNS, amount: "Total", ...filters },
    keepValues: ["USD"],
    dropValues: ["refunded"],
    onBadRow: "fail",
  });
  expect(days(byTotal.log)).toEqual(PAID);
  expect(byTotal.quality.skipped).toEqual({});
  expect(byTotal.quality.left_out?.rows).toBe(6);
  expect(byTotal.quality.order_lines_without_amount).toBe(1);
});

// Without --order-col a filter on a column written on an order's first line only judged the
// order's other lines on their empty cell: --keep-rows 'Financial Status=paid' kept only each
// order's first item (a Shopify export read 42% of its spend), and said only how many it left out.
test("a filter column empty on an order's other lines, read without --order-col, is warned about", async () => {
  const path = file(SHOPIFY);
  const byItems = {
    customerId: "Email",
    date: "Created at",
    quantity: "Lineitem quantity",
    price: "Lineitem price",
  };
  const kept = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { ...byItems, keepBy: "Financial Status" },
    keepValues: ["paid"],
  });
  // Order #1's second item (line 3) is left out with nothing but the count.
  expect(days(kept.log)).toContain("a@x.org 2020-01-01 10");
  expect(kept.quality.empty_filter_columns).toEqual([
    {
      option: "--keep-rows",
      column: "Financial Status",
      empty: 2,
      rows: 6,
      example: "line 3",
      order_column: "",
    },
  ]);
  expect(dataQualityLines(kept.quality)).toContain(
    '  WARNING: --keep-rows column "Financial Status" is empty on 2 of 6 lines (33%; e.g. line 3), ' +
      "most right after a line of the same customer and day: if the column is written on an " +
      "order's first line only (an order export's status), the order's other lines are left out " +
      "whatever its value; pass --order-col naming the column that holds the order id to have " +
      "them follow their order",
  );
  // --drop-rows keeps them; a column named like an order's is named.
  const dropped = await readTransactionLog({
    source: { kind: "csv", path: file(SHOPIFY.replace(/^Name,/, "Order ID,")) },
    columns: { ...byItems, dropBy: "Financial Status" },
    dropValues: ["refunded"],
  });
  expect(dataQualityLines(dropped.quality).join("\n")).toContain(
    "the order's other lines are kept whatever its value; pass --order-col 'Order ID' to have them follow their order",
  );
  // With --order-col they follow their order, and there is nothing to say.
  const ordered = await readTransactionLog({
    source: { kind: "csv", path },
    columns: { ...byItems, order: "Name", keepBy: "Financial Status" },
    keepValues: ["paid"],
  });
  expect(days(ordered.log)).toEqual(PAID);
  expect(ordered.quality.empty_filter_columns).toBeUndefined();
  // A status left empty on lines of other days (an event log's views) is not remarked on.
  const events = await readCsvLog(log, {
    columns: { ...LOG_COLUMNS, dropBy: "status" },
    dropValues: ["cancelled"],
  });
  expect(events.quality.empty_filter_columns).toBeUndefined();
});

// A status column empty on every line but the cancelled ones (an invoice line export's flag):
// --drop-rows keeps the empty lines, as it should, and their invoices' lines share a customer
// and day, first lines as empty as the others: no order's first line carries the value.
test("--drop-rows on a column empty but on the lines it names is not warned about", async () => {
  const lines = ["customer_id,date,amount,status"];
  for (let i = 0; i < 30; i++) {
    const day = `2023-01-${String(1 + (i % 28)).padStart(2, "0")}`;
    const status = i % 10 === 0 ? "Cancelled" : "";
    for (let k = 0; k < 3; k++) lines.push(`c${i % 7},${day},${k + 1}.50,${status}`);
  }
  const { quality } = await readCsvLog(file(lines.join("\n")), {
    columns: { ...LOG_COLUMNS, dropBy: "status" },
    dropValues: ["Cancelled"],
  });
  expect(quality.left_out?.rows).toBe(9);
  expect(quality.empty_filter_columns).toBeUndefined();
});

// Shopify writes Paid at on an order's first line only: with --order-col the other lines took
// their order's amount and status but not its date, and were skipped as "missing date" (a
// generated export read 78,271.10 of 185,536.00). They are now dated by their order.
test("with --order-col, a date written on an order's first line only dates its other lines", async () => {
  const paidAt = [
    "Name,Email,Financial Status,Paid at,Created at,Lineitem quantity,Lineitem price",
    "#1,a@x.org,paid,2020-01-01 10:00:00 -0500,2020-01-01 10:00:00 -0500,1,10", // line 2
    "#1,a@x.org,,,2020-01-01 10:00:00 -0500,2,10", // line 3: dated by line 2
    "#2,a@x.org,refunded,2020-01-05 11:00:00 -0500,2020-01-05 11:00:00 -0500,1,10",
    "#2,a@x.org,,,2020-01-05 11:00:00 -0500,1,5",
    "#3,b@x.org,paid,2020-01-03 09:00:00 -0500,2020-01-03 09:00:00 -0500,1,12",
    "#4,a@x.org,paid,2020-01-09 09:00:00 -0500,2020-01-09 09:00:00 -0500,1,8",
    "#4,a@x.org,,,2020-01-09 09:00:00 -0500,1,oops", // line 8: dated, but its price is unreadable
    "#5,c@x.org,pending,,2020-01-10 09:00:00 -0500,1,4", // line 9: no order line has a date
    "#5,c@x.org,,,2020-01-10 09:00:00 -0500,1,4",
  ].join("\n");
  const columns = {
    customerId: "Email",
    quantity: "Lineitem quantity",
    price: "Lineitem price",
    order: "Name",
    dropBy: "Financial Status",
  };
  const read = (date: string) =>
    readTransactionLog({
      source: { kind: "csv", path: file(paidAt) },
      columns: { ...columns, date },
      dropValues: ["refunded"],
    });
  const byCreated = await read("Created at");
  const byPaid = await read("Paid at");
  const paid = days(byCreated.log).filter((d) => !d.startsWith("c@x.org"));
  expect(paid).toEqual(PAID);
  expect(days(byPaid.log)).toEqual(PAID);
  // Lines 3 and 8 take their order's date; line 8 is then skipped for its price, as it would be.
  expect(byPaid.quality.order_lines_without_date).toBe(2);
  expect(byPaid.quality.skipped).toEqual({ "unreadable price": 1, "missing date": 2 });
  expect(byPaid.quality.examples).toEqual({ "unreadable price": [8], "missing date": [9, 10] });
  expect(dataQualityLines(byPaid.quality)).toContain(
    "  order lines whose date is on another line of their order: 2 (dated by it)",
  );
});
