import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { purchaseDays as days, failure } from "../../testing/log-files.ts";
import { dataQualityLines } from "./data-quality.ts";
import { fileLineMessage, queryHeader, tableNameOf } from "./file-query.ts";
import { sourceFromArguments } from "./log-input.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

// Olist's exports keep the person (customer_unique_id) in customers.csv, one customer_id per order
// in orders.csv and the prices in order_items.csv: no one file trains. Before, --query was only
// for PostgreSQL ("--table/--query: only with --data postgres://…"), so the files had to be loaded
// into a database first; the "nobody buys twice" error's advice, --customer-col
// customer_unique_id, was "there is no column" on orders.csv.
function olistFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "file-query-"));
  const orders = ["order_id,customer_id,order_status,order_purchase_timestamp"];
  const items = ["order_id,order_item_id,price,freight_value"];
  const customers = ["customer_id,customer_unique_id,customer_city"];
  // Persons p0..p2, each with two delivered orders on different days (one of two items), and
  // p0 with a canceled order too; customer ids with leading zeros stay text.
  const rows: [string, string, string, string, number[]][] = [
    ["o1", "001", "p0", "2017-10-02 10:56:33", [10, 5.5]],
    ["o2", "002", "p0", "2017-11-05 09:00:00", [20]],
    ["o3", "003", "p1", "2017-10-03 12:00:00", [7.25]],
    ["o4", "004", "p1", "2018-01-15 18:30:00", [3, 4]],
    ["o5", "005", "p2", "2017-12-24 08:00:00", [100]],
    ["o6", "006", "p2", "2018-02-01 08:00:00", [1]],
  ];
  for (const [order, customer, person, at, prices] of rows) {
    orders.push(`${order},${customer},delivered,${at}`);
    customers.push(`${customer},${person},sao paulo`);
    for (const [i, p] of prices.entries()) items.push(`${order},${i + 1},${p},2.0`);
  }
  orders.push("o7,007,canceled,2017-10-20 10:00:00");
  customers.push("007,p0,rio");
  items.push("o7,1,99,2.0");
  writeFileSync(join(dir, "orders.csv"), `${orders.join("\n")}\n`);
  writeFileSync(join(dir, "order_items.csv"), `${items.join("\n")}\n`);
  writeFileSync(join(dir, "olist-customers.csv"), `${customers.join("\n")}\n`);
  return dir;
}

const QUERY = `SELECT c.customer_unique_id, o.order_id, o.order_status, o.order_purchase_timestamp, i.price
  FROM orders o JOIN olist_customers c USING (customer_id) JOIN order_items i USING (order_id)`;

test("--query joins a folder's files, each a table named by its file: Olist trains per person", async () => {
  const dir = olistFolder();
  const source = sourceFromArguments({ data: dir, query: QUERY });
  expect(source).toEqual({ kind: "query", path: dir, query: QUERY });
  const columns = {
    customerId: "customer_unique_id",
    date: "order_purchase_timestamp",
    amount: "price",
    order: "order_id",
  };
  const all = await readTransactionLog({ source, columns });
  // The canceled order is named, as from a file or a PostgreSQL query.
  expect(dataQualityLines(all.quality).join("\n")).toContain(
    "pass --drop-rows order_status=canceled",
  );
  // Another export in the folder that DuckDB cannot read is not opened when the query leaves it out.
  writeFileSync(
    join(dir, "reviews.csv"),
    Buffer.from('review_id,comment\nr1,"boa\xe9\n', "latin1"),
  );
  const { log, quality } = await readTransactionLog({
    source,
    columns: { ...columns, dropBy: "order_status" },
    dropValues: ["canceled"],
  });
  expect(days(log)).toEqual([
    "p0 2017-10-02 15.5",
    "p0 2017-11-05 20",
    "p1 2017-10-03 7.25",
    "p1 2018-01-15 7",
    "p2 2017-12-24 100",
    "p2 2018-02-01 1",
  ]);
  expect(quality.customers_in_log).toBe(3);
});

test("a --query naming no file's table, or a missing column, is an error listing the tables", async () => {
  const dir = olistFolder();
  const bad = await failure(
    readTransactionLog({
      source: { kind: "query", path: dir, query: "SELECT * FROM payments" },
      columns: { customerId: "customer_id", date: "date", amount: "amount" },
    }),
  );
  expect(bad?.message).toContain("payments");
  expect(bad?.message).toContain(
    "olist_customers (olist-customers.csv), order_items (order_items.csv), orders (orders.csv)",
  );
  const missing = await failure(
    readTransactionLog({
      source: { kind: "query", path: dir, query: "SELECT * FROM orders" },
      columns: {
        customerId: "customer_unique_id",
        date: "order_purchase_timestamp",
        amount: "order_status",
      },
    }),
  );
  expect(missing?.message).toContain('no column "customer_unique_id"');
  // A query's result has no line 1 of any file: its columns are named as the query's.
  expect(missing?.message).toContain(
    `${dir} query: the query's result has no column "customer_unique_id" (its columns: order_id, customer_id, order_status, order_purchase_timestamp)`,
  );
  expect(missing?.message).not.toContain("line 1");
});

// Exports from Windows: a Windows-1252 file (Excel's "CSV") and a UTF-16 one with its byte-order
// mark (Excel's "Unicode text", tab-separated), as a single file is read. Before, the first
// stopped the query ("CSV Error on Line: 2"), with a hint to convert it.
test("--query reads Windows-1252 and UTF-16 files of the folder as a single file is read", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-enc-"));
  writeFileSync(
    join(dir, "people.csv"),
    Buffer.from("customer_id,name\r\n1,Jos\xe9\r\n2,Ren\xe9e \x80\r\n", "latin1"),
  );
  const utf16 =
    "customer_id\tdate\tamount\r\n1\t2020-01-05\t12.5\r\n2\t2020-01-06\t3\r\n1\t2020-02-01\t1\r\n";
  writeFileSync(
    join(dir, "sales.txt"),
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(utf16, "utf16le")]),
  );
  const { log } = await readTransactionLog({
    source: {
      kind: "query",
      path: dir,
      query: "SELECT p.name, s.date, s.amount FROM sales s JOIN people p USING (customer_id)",
    },
    columns: { customerId: "name", date: "date", amount: "amount" },
  });
  expect(days(log)).toEqual(["José 2020-01-05 12.5", "José 2020-02-01 1", "Renée € 2020-01-06 3"]);
});

// Big5 bytes as Python's str.encode writes them; 許功蓋 each end in 0x5C, a backslash byte.
const BIG5: Record<string, string> = { 許功蓋: "b35ca55cbb5c", 金額: "aaf7c342", 日期: "a4e9b4c1" };

/** `text` with each word of BIG5 written in its bytes, the rest as ASCII. */
function big5(text: string): Buffer {
  const parts: Buffer[] = [];
  let rest = text;
  while (rest.length > 0) {
    const word = Object.keys(BIG5).find((w) => rest.startsWith(w));
    parts.push(word ? Buffer.from(BIG5[word] as string, "hex") : Buffer.from(rest[0] as string));
    rest = rest.slice(word ? word.length : 1);
  }
  return Buffer.concat(parts);
}

// A walk found each view read its file raw, skipping the single-file reader's repairs: an orders
// export with a report title and an export date above its header (CRLF) over rows ending LF, and
// customers written in Big5 with --encoding big5 (ignored: its names read as Windows-1252).
test("--query reads each file as the single-file reader would: title lines, mixed line ends, --encoding", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-repairs-"));
  const orders = [
    "Order export\r\n",
    "Generated 2018-03-01\r\n",
    "order_id;customer_id;order_purchase_timestamp\r\n",
    "o1;001;2017-10-02 10:56:33\n",
    "o2;001;2017-11-05 09:00:00\n",
    "o3;002;2017-10-03 12:00:00\n",
    "o4;003;2017-12-24 08:00:00\n",
    "o5;003;2018-02-01 08:00:00\n",
  ];
  writeFileSync(join(dir, "orders.csv"), orders.join(""));
  writeFileSync(
    join(dir, "order_items.csv"),
    "order_id,price\no1,10\no1,5.5\no2,20\no3,7.25\no4,100\no5,1\n",
  );
  writeFileSync(
    join(dir, "customers.csv"),
    big5("customer_id,name,city\n001,許功蓋,a\n002,金額,b\n003,日期,c\n"),
  );
  const query = `SELECT c.name, o.order_id, o.order_purchase_timestamp, i.price
    FROM orders o JOIN customers c USING (customer_id) JOIN order_items i USING (order_id)`;
  const source = sourceFromArguments({ data: dir, query, encoding: "big5" });
  expect(source).toEqual({ kind: "query", path: dir, query, encoding: "big5" });
  const { log, quality } = await readTransactionLog({
    source,
    columns: {
      customerId: "name",
      date: "order_purchase_timestamp",
      amount: "price",
      order: "order_id",
    },
  });
  expect(days(log)).toEqual([
    "日期 2017-12-24 100",
    "日期 2018-02-01 1",
    "許功蓋 2017-10-02 15.5",
    "許功蓋 2017-11-05 20",
    "金額 2017-10-03 7.25",
  ]);
  expect(quality.customers_in_log).toBe(3);
});

// Excel keeps a title row's empty cells ("Orders 2017,,"): DuckDB's sniffer took it for the
// header, as it does for a single file, where the header is then searched for by the column
// options' names. A query's table is searched for by the query's words (two of its fields).
test("--query finds a file's header under a title row the sniffer takes for the header", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-title-"));
  writeFileSync(
    join(dir, "orders.csv"),
    "Orders 2017,,\norder_id,customer_id,order_purchase_timestamp\no1,c1,2017-10-02\no2,c1,2017-11-05\no3,c2,2017-10-03\n",
  );
  writeFileSync(join(dir, "items.csv"), "order_id,price\no1,10\no1,5.5\no2,20\no3,7.25\n");
  const query = `SELECT o.customer_id, o.order_purchase_timestamp, i.price
    FROM orders o JOIN items i USING (order_id)`;
  const { log } = await readTransactionLog({
    source: { kind: "query", path: dir, query },
    columns: { customerId: "customer_id", date: "order_purchase_timestamp", amount: "price" },
  });
  expect(days(log)).toEqual(["c1 2017-10-02 15.5", "c1 2017-11-05 20", "c2 2017-10-03 7.25"]);
});

test("queryHeader: two of a line's fields named in the query, quoted names too, literals not", () => {
  const isHeader = queryHeader(
    `SELECT "Customer ID", o.Date FROM orders o WHERE status IN ('delivered', 'shipped')`,
  );
  expect(isHeader(["Customer ID", "date", "status"])).toBe(true);
  expect(isHeader(["Orders 2017", "", ""])).toBe(false);
  expect(isHeader(["o1", "delivered", "shipped"])).toBe(false);
});

// A malformed line was "…/folder query: Invalid Input Error: CSV Error on Line: 7": no file, and
// DuckDB's own message named the temp copy it read (line ends repaired), not the export.
test("a malformed line read through a --query names its file and line, not the temp copy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-bad-line-"));
  writeFileSync(
    join(dir, "orders.csv"),
    "Title\r\nGenerated\r\norder_id,customer_id,date\r\no1,c1,2020-01-01\no2,c1,2020-02-01\no3,c2,2020-01-05\no4,c2,2020-03-05,extra\n",
  );
  writeFileSync(join(dir, "items.csv"), "order_id,price\no1,10\no2,5\no3,5\no4,6\n");
  const bad = await failure(
    readTransactionLog({
      source: {
        kind: "query",
        path: dir,
        query: "SELECT o.customer_id, o.date, i.price FROM orders o JOIN items i USING (order_id)",
      },
      columns: { customerId: "customer_id", date: "date", amount: "price" },
    }),
  );
  expect(bad?.message).toContain(`${join(dir, "orders.csv")}: line 7: `);
  expect(bad?.message).toContain("Expected Number of Columns: 3 Found: 4");
  expect(bad?.message).toContain("o4,c2,2020-03-05,extra");
  expect(bad?.message).not.toContain("pp-csv");
});

test("fileLineMessage: DuckDB's CSV error on a copy's line, as the file's line", () => {
  const message = [
    "Invalid Input Error: CSV Error on Line: 4",
    'Original Line: a,"b',
    "Value with unterminated quote found.",
    "",
    "  file = /tmp/pp-csv-x/lf.csv",
  ].join("\n");
  const files = new Map([["/tmp/pp-csv-x/lf.csv", "shop/orders.csv"]]);
  expect(fileLineMessage(message, files)).toBe(
    'shop/orders.csv: line 4: Value with unterminated quote found. (a,"b)',
  );
  expect(fileLineMessage(message, new Map())).toBeNull();
  expect(fileLineMessage("Binder Error: no column x", files)).toBeNull();
});

// UTF-16 without its byte-order mark is valid UTF-8 byte for byte (ASCII with a NUL after each
// letter), so --encoding utf-16 was not applied to it: its NULs are not a UTF-8 text's.
test("--query with --encoding utf-16 reads a UTF-16 file without a byte-order mark", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-utf16-"));
  const sales = "customer_id,date,amount\r\nc1,2020-01-05,12.5\r\nc2,2020-01-06,3\r\n";
  writeFileSync(join(dir, "sales.csv"), Buffer.from(sales, "utf16le"));
  writeFileSync(join(dir, "people.csv"), "customer_id,name\nc1,José\nc2,Renée\n");
  const { log } = await readTransactionLog({
    source: sourceFromArguments({
      data: dir,
      query: "SELECT p.name, s.date, s.amount FROM sales s JOIN people p USING (customer_id)",
      encoding: "utf-16",
    }),
    columns: { customerId: "name", date: "date", amount: "amount" },
  });
  expect(days(log)).toEqual(["José 2020-01-05 12.5", "Renée 2020-01-06 3"]);
});

// --delimiter and --skip-lines were dropped with --query: a folder of space-delimited exports
// (Excel's "Formatted Text") read as one column each, and the error's advice was --customer-col
// 'customer_id date amount' for every column. They now apply to every CSV the query reads, as
// --encoding does: one export system, one layout.
test("--delimiter and --skip-lines apply to every CSV a --query reads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-layout-"));
  writeFileSync(
    join(dir, "orders.csv"),
    "Shop export\nPage 1 of 1\norder_id customer_id date\no1 c1 2020-01-01\no2 c1 2020-02-01\no3 c2 2020-01-05\n",
  );
  writeFileSync(
    join(dir, "items.csv"),
    "Shop export\nPage 1 of 1\norder_id price\no1 10\no1 2.5\no2 5\no3 7\n",
  );
  const query = "SELECT o.customer_id, o.date, i.price FROM orders o JOIN items i USING (order_id)";
  const columns = { customerId: "customer_id", date: "date", amount: "price" };
  const source = sourceFromArguments({ data: dir, query, delimiter: " ", skipLines: 2 });
  expect(source).toEqual({ kind: "query", path: dir, query, delimiter: " ", skipLines: 2 });
  const { log, quality } = await readTransactionLog({ source, columns });
  expect(days(log)).toEqual(["c1 2020-01-01 12.5", "c1 2020-02-01 5", "c2 2020-01-05 7"]);
  // Each file's skipped title lines are in the account, as a single file's are (before: nothing).
  const account = dataQualityLines(quality).join("\n");
  for (const file of ["items.csv", "orders.csv"]) {
    expect(account).toContain(`${join(dir, file)}: header on line 3; the lines above it skipped`);
  }
  expect(quality.file_lines_above_header).toEqual({
    [join(dir, "items.csv")]: 2,
    [join(dir, "orders.csv")]: 2,
  });
  // Without them, the files read as one column are named, and the delimiter blamed, as for a
  // single file (the query's error was the join's only: "order_id does not exist").
  const bare = await failure(
    readTransactionLog({ source: sourceFromArguments({ data: dir, query }), columns }),
  );
  expect(bare?.message).toContain("does not exist");
  expect((bare as { hint?: string })?.hint).toContain(
    `${join(dir, "items.csv")} and ${join(dir, "orders.csv")} read as one column: the delimiter was not recognised; pass --delimiter`,
  );
  // --sheet names a workbook's sheet: a query reads no workbook.
  expect(() => sourceFromArguments({ data: dir, query, sheet: "2020" })).toThrow(
    "--sheet: only with an .xlsx workbook",
  );
});

// A file's name outside ASCII lost its letters: "ventes-été.csv" was table ventes_t_ and
// "日本.csv" table _ (with "中国.csv" beside it, both _: the folder refused). Letters of any
// script are kept, in NFC (macOS writes names decomposed), so the table is the name as read.
test("a file named outside ASCII is a table of that name; a leading digit gets t_", async () => {
  expect(tableNameOf("/x/ventes-été.csv")).toBe("ventes_été");
  expect(tableNameOf("/x/Ventes 2024.v2.CSV")).toBe("ventes_2024_v2");
  expect(tableNameOf("/x/2024 sales.csv.gz")).toBe("t_2024_sales");
  expect(tableNameOf("/x/o'brien.csv")).toBe("o_brien");
  expect(tableNameOf("/x/\u65e5\u672c.csv")).toBe("日本");
  expect(tableNameOf("/x/ve\u0301nte.csv")).toBe("vénte");
  const dir = mkdtempSync(join(tmpdir(), "file-query-names-"));
  writeFileSync(
    join(dir, "日本.csv"),
    "customer_id,date,amount\nc1,2020-01-01,10\nc1,2020-02-01,5\n",
  );
  writeFileSync(join(dir, "中国.csv"), "customer_id,date,amount\nc2,2020-01-03,7\n");
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const query = "SELECT * FROM 日本 UNION ALL SELECT * FROM 中国";
  const { log } = await readTransactionLog({
    source: { kind: "query", path: dir, query },
    columns,
  });
  expect(days(log)).toEqual(["c1 2020-01-01 10", "c1 2020-02-01 5", "c2 2020-01-03 7"]);
  // A name the query gets wrong is listed with each table's file.
  const bad = await failure(
    readTransactionLog({
      source: { kind: "query", path: dir, query: "SELECT * FROM japan" },
      columns,
    }),
  );
  expect((bad as { hint?: string })?.hint).toContain("中国 (中国.csv), 日本 (日本.csv)");
});

// With --on-bad-row fail a bad value of a query's row was "folder query: line 5": line 5 of
// nothing (the file's line is 6, the header above it), and Parquet and PostgreSQL rows were
// "lines" too. A query's row is called its row, with how to find it in the files.
test("a bad value read through a --query is named by the query's row, with how to find it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-bad-value-"));
  writeFileSync(
    join(dir, "sales.csv"),
    "customer_id,date,amount\nc1,2020-01-01,10\nc1,2020-02-01,20\nc2,2020-01-05,5\nc3,2020-01-04,NaN\n",
  );
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const query = "SELECT * FROM sales";
  const bad = await failure(
    readTransactionLog({ source: { kind: "query", path: dir, query }, columns, onBadRow: "fail" }),
  );
  expect(bad?.message).toStartWith(`${dir} query: row 4, field "amount": unreadable amount`);
  expect(bad?.message).toContain("LIMIT 1 OFFSET 3");
  expect(bad?.message).toContain("ORDER BY");
  const skipped = await readTransactionLog({
    source: { kind: "query", path: dir, query },
    columns,
  });
  expect(dataQualityLines(skipped.quality).join("\n")).toContain(
    "skipped 1: unreadable amount (e.g. query rows 4)",
  );
});

// A query pasted from psql or the duckdb shell ends in ";", often after a "-- comment": spliced
// into "(query)", the first was "syntax error at or near ';'" and the second "syntax error at
// end of input" (the comment ran over the closing parenthesis).
test("a --query pasted with its semicolon or a closing -- comment reads", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-pasted-"));
  writeFileSync(
    join(dir, "sales.csv"),
    "customer_id,date,amount\nc1,2020-01-01,10\nc2,2020-01-05,5\n",
  );
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  for (const query of [
    "SELECT * FROM sales;",
    "SELECT * FROM sales -- every line",
    "SELECT * FROM sales; -- every line\n\n",
    "SELECT * FROM sales WHERE customer_id <> ';' ;  ",
  ]) {
    const { log } = await readTransactionLog({
      source: { kind: "query", path: dir, query },
      columns,
    });
    expect(days(log)).toEqual(["c1 2020-01-01 10", "c2 2020-01-05 5"]);
  }
  // Two statements are still one too many, said by DuckDB's parser.
  const two = await failure(
    readTransactionLog({
      source: { kind: "query", path: dir, query: "SELECT * FROM sales; SELECT 1" },
      columns,
    }),
  );
  expect(two?.message).toContain("syntax error");
});

// The README and the error listing tables said to cast to compute, CAST(price AS DOUBLE): one
// value that does not convert ("abc", "12,50") then stopped the whole read as a "Conversion
// Error" with advice about encodings. The advice is now TRY_CAST (NULL for it: the row is
// skipped and counted, as a single file's), and the error says so.
test("a value a --query's CAST cannot convert is an error advising TRY_CAST, which skips the row", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-cast-"));
  writeFileSync(
    join(dir, "sales.csv"),
    "customer_id,date,amount\nc1,2020-01-01,10\nc2,2020-01-02,abc\nc3,2020-01-03,5\n",
  );
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const read = (query: string) =>
    readTransactionLog({ source: { kind: "query", path: dir, query }, columns });
  const bad = await failure(
    read("SELECT customer_id, date, CAST(amount AS DOUBLE) AS amount FROM sales"),
  );
  expect(bad?.message).toContain("Could not convert string 'abc' to DOUBLE");
  expect((bad as { hint?: string })?.hint).toContain("TRY_CAST(amount AS DOUBLE)");
  expect((bad as { hint?: string })?.hint).not.toContain("--encoding");
  const { log, quality } = await read(
    "SELECT customer_id, date, TRY_CAST(amount AS DOUBLE) AS amount FROM sales",
  );
  expect(days(log)).toEqual(["c1 2020-01-01 10", "c3 2020-01-03 5"]);
  expect(quality.skipped).toEqual({ "missing amount": 1 });
  // The file read alone counts "abc" as unreadable: the account says why the query's is missing.
  expect(dataQualityLines(quality).join("\n")).toContain(
    "  missing amount: with TRY_CAST in the query, a value that does not convert arrives as NULL, so unreadable values are counted as missing (read the file alone to tell them apart)",
  );
  const plain = await read("SELECT customer_id, date, amount FROM sales");
  expect(plain.quality.skipped).toEqual({ "unreadable amount": 1 });
  expect(dataQualityLines(plain.quality).join("\n")).not.toContain("TRY_CAST");
});

// A file read alone says how it was decoded ("read as UTF-8, except 1 line not UTF-8, read as
// windows-1252 (line 3)"); read through a --query the same file said nothing, so a name with a
// mis-decoded letter had no trace in the account or metrics.json. Each file's decoding is said.
test("how each file a --query read was decoded is in the account, as a single file's is", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-decoded-"));
  writeFileSync(
    join(dir, "sales.csv"),
    Buffer.concat([
      Buffer.from("customer_id,date,amount\nJosé,2020-01-01,10\n"),
      Buffer.from("Ren\xe9,2020-01-02,5\n", "latin1"),
    ]),
  );
  writeFileSync(
    join(dir, "people.csv"),
    Buffer.from("customer_id,city\nRen\xe9,Li\xe8ge\n", "latin1"),
  );
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  writeFileSync(join(dir, "notes.csv"), "customer_id,note\nJosé,café\n"); // UTF-8: no note
  const query =
    "SELECT s.* FROM sales s LEFT JOIN people p USING (customer_id) LEFT JOIN notes n USING (customer_id)";
  const { log, quality } = await readTransactionLog({
    source: { kind: "query", path: dir, query },
    columns,
  });
  expect(days(log)).toEqual(["José 2020-01-01 10", "René 2020-01-02 5"]);
  expect(quality.file_encodings).toEqual({
    [join(dir, "people.csv")]: "windows-1252",
    [join(dir, "sales.csv")]: "UTF-8, except 1 line read as windows-1252 (line 3)",
  });
  expect(dataQualityLines(quality).join("\n")).toContain(
    `${join(dir, "sales.csv")} read as UTF-8, except 1 line read as windows-1252 (line 3)`,
  );
});

// order.csv is table order, a word SQL keeps for itself: FROM order is a syntax error. The list of
// tables in the error now writes it as the query must, "order".
test("a file named by an SQL keyword is listed as the query must write it, in double quotes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "file-query-keyword-"));
  writeFileSync(join(dir, "order.csv"), "customer_id,date,amount\nc1,2020-01-01,10\n");
  writeFileSync(join(dir, "sales.csv"), "customer_id,date,amount\nc1,2020-01-01,10\n");
  const columns = { customerId: "customer_id", date: "date", amount: "amount" };
  const read = (query: string) =>
    readTransactionLog({ source: { kind: "query", path: dir, query }, columns });
  const bad = await failure(read("SELECT * FROM order"));
  expect((bad as { hint?: string })?.hint).toContain(`"order" (order.csv), sales (sales.csv)`);
  expect(days((await read(`SELECT * FROM "order"`)).log)).toEqual(["c1 2020-01-01 10"]);
});
