import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  purchaseDays as days,
  failure,
  readCsvLog as read,
  writeParquet,
} from "../../testing/log-files.ts";
import { BadRowError } from "../bad-rows.ts";
import { dataQualityLines } from "./data-quality.ts";
import { InputError } from "./input-error.ts";
import type { LogColumns } from "./log-input.ts";

// A shop's monthly exports in one folder, as a back office writes them: a title above the
// header of some, one gzipped, the last without a final line end.
function exportsFolder(files: Record<string, string | Uint8Array>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "many-files-")), "exports");
  mkdirSync(dir);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

const ORDERS: LogColumns = {
  customerId: "customer",
  date: "day",
  quantity: "qty",
  price: "price",
  order: "order",
};
const HEADER = "order,customer,day,qty,price\n";
const MONTHS = {
  "orders-2020-01.csv": `Orders report\r\nexported 2020-02-01\r\n${HEADER.replace("\n", "\r\n")}1,a,2020-01-05,2,10\r\n2,b,2020-01-09,1,4\r\n`,
  "orders-2020-02.csv.gz": gzipSync(
    `Orders report\nexported 2020-03-01\n${HEADER}3,a,2020-02-03,1,5\nC1,a,2020-02-04,-1,10\n4,,2020-02-06,1,1\n`,
  ),
  "orders-2020-03.csv": `${HEADER}5,b,2020-03-02,1,7\n6,c,2020-03-02,x,7`,
  "notes.md": "not a log",
};

const joins = () => readdirSync(tmpdir()).filter((n) => n.startsWith("pp-join-"));

test("a folder of monthly exports reads as one log; lines are named in their own files", async () => {
  const joinsBefore = joins();
  const dir = exportsFolder(MONTHS);
  const { log, quality } = await read(dir, { columns: ORDERS, cancelPattern: "^C" });
  // The February cancellation of January's order 1 nets against January 5th.
  expect(days(log)).toEqual([
    "a 2020-01-05 10",
    "a 2020-02-03 5",
    "b 2020-01-09 4",
    "b 2020-03-02 7",
  ]);
  expect(quality.files?.map((f) => f.slice(dir.length + 1))).toEqual([
    "orders-2020-01.csv",
    "orders-2020-02.csv.gz",
    "orders-2020-03.csv",
  ]);
  expect(quality.returns.matched_orders).toBe(1);
  expect(quality.examples).toEqual({ "missing customer id": [6], "unreadable quantity": [3] });
  expect(quality.example_files).toEqual({
    "missing customer id": [join(dir, "orders-2020-02.csv.gz")],
    "unreadable quantity": [join(dir, "orders-2020-03.csv")],
  });
  const printed = dataQualityLines(quality).join("\n");
  expect(printed).toContain("3 files read as one");
  expect(printed).toContain(
    `missing customer id (e.g. ${join(dir, "orders-2020-02.csv.gz")} line 6)`,
  );
  // The same through a file name pattern; under --on-bad-row fail the first bad line, in its file.
  const pattern = join(dir, "orders-2020-0?.csv*");
  expect(days((await read(pattern, { columns: ORDERS, cancelPattern: "^C" })).log)).toEqual(
    days(log),
  );
  const error = await failure(read(pattern, { columns: ORDERS, onBadRow: "fail" }));
  expect(error).toBeInstanceOf(BadRowError);
  expect(error?.message).toBe(
    `${join(dir, "orders-2020-02.csv.gz")}: line 6, field "customer": missing customer id`,
  );
  expect(joins().filter((n) => !joinsBefore.includes(n))).toEqual([]);
});

test("exports whose headers differ, a pattern naming nothing, files of other kinds or UTF-16: an InputError", async () => {
  const dir = exportsFolder({
    "a.csv": "customer_id,date,amount\nx,2020-01-01,1\n",
    "b.csv": "customer_id;date;amount\nx;2020-01-02;1\n",
    "c.parquet": "PAR1",
  });
  const cases: [string, string][] = [
    [join(dir, "*.csv"), `${join(dir, "b.csv")}: its header is not ${join(dir, "a.csv")}'s`],
    [join(dir, "*.tsv"), `${join(dir, "*.tsv")}: names no CSV/TSV, Parquet or JSON file`],
    [join(dir, "*"), "names files of other kinds (c.parquet)"],
    [join(dir, "*", "a.csv"), "a pattern may name files, not folders"],
  ];
  for (const [path, message] of cases) {
    const error = await failure(read(path));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(message);
  }
  const utf16 = exportsFolder({
    "a.csv": "customer_id,date,amount\nx,2020-01-01,1\n",
    "b.csv": Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from("customer_id,date,amount\ny,2020-01-02,1\n", "utf16le"),
    ]),
  });
  const unicode = await failure(read(utf16));
  expect(unicode?.message).toContain(`${join(utf16, "b.csv")}: is UTF-16 text`);
  // A pattern naming one file reads it as it is.
  expect((await read(join(dir, "a*"))).quality.files).toBeUndefined();
});

test("an error of the joined read names the file and its own line", async () => {
  const dir = exportsFolder({
    "1.csv": "customer_id,date,amount\nx,2020-01-01,twelve\n",
    "2.csv": "customer_id,date,amount\ny,2020-01-02,n/a\nz,2020-01-03,n/a\n",
  });
  const error = await failure(read(dir));
  expect(error).toBeInstanceOf(InputError);
  expect(error?.message).toContain(
    `${join(dir, "1.csv")}: line 2: every row is skipped: unreadable amount`,
  );
  expect(error?.message).not.toContain("joined.csv");
  // The date sniffer names a line without a path: it is named in its file too.
  const bare = exportsFolder({
    "1.csv": "customer_id,date,amount\nx,,1\n",
    "2.csv": "customer_id,date,amount\ny,43835,2\n",
  });
  const serial = await failure(read(bare));
  expect(serial?.message).toContain(`${join(bare, "2.csv")}: line 2: date "43835"`);
});

test("exports that overlap: a later file's lines equal to an earlier file's are read once, line numbers kept", async () => {
  const dir = exportsFolder({
    "1-jan.csv":
      "customer_id,date,amount\na,2020-01-05,10\na,2020-01-05,10\nb,2020-01-31,4\nc,2020-02-01,7\n",
    "2-feb.csv":
      "customer_id,date,amount\r\nc,2020-02-01,7\r\nb,2020-01-31,4\r\nd,2020-02-03,5\r\n,2020-02-04,1\r\n",
  });
  const { log, quality } = await read(dir);
  // Equal lines within one file stay (two equal lines of one invoice): a's day is 20.
  expect(days(log)).toEqual([
    "a 2020-01-05 20",
    "b 2020-01-31 4",
    "c 2020-02-01 7",
    "d 2020-02-03 5",
  ]);
  expect(quality.rows_read).toBe(6);
  expect(quality.repeated_lines).toEqual([
    { file: join(dir, "2-feb.csv"), of: join(dir, "1-jan.csv"), lines: 2 },
  ]);
  expect(quality.examples).toEqual({ "missing customer id": [5] });
  expect(dataQualityLines(quality).join("\n")).toContain("2-feb.csv: 2 lines repeat lines of");
});

// The probe's Online Retail II, split in two exports overlapping Jan-Jun 2011, the second written
// by the shop system (ids 13085, prices 10.5) where the first was pandas' (13085.0, 10.50): only
// the guest lines were found equal, and 1,056 customers' spend was doubled (γ 20.0 → 28.2).
test("overlapping exports that write the same numbers differently (13085.0 / 13085) are read once", async () => {
  const dir = exportsFolder({
    "1-h1.csv":
      "Invoice,Customer ID,InvoiceDate,Total\n1,13085.0,2011-01-05 09:00,10.50\n2,12638.0,2011-03-01 10:00,10.38\n",
    "2-h2.csv":
      "Invoice,Customer ID,InvoiceDate,Total\n2,12638,2011-03-01 10:00,10.38\n1,13085,2011-01-05 09:00,10.5\n3,13085,2011-07-02 11:00,3\n",
  });
  const columns = { customerId: "Customer ID", date: "InvoiceDate", amount: "Total" };
  const { log, quality } = await read(dir, { columns });
  expect(days(log)).toEqual([
    "12638 2011-03-01 10.38",
    "13085 2011-01-05 10.5",
    "13085 2011-07-02 3",
  ]);
  expect(quality.repeated_lines).toEqual([
    { file: join(dir, "2-h2.csv"), of: join(dir, "1-h1.csv"), lines: 2 },
  ]);
});

// A header line pasted mid-file in a later export equals the first file's header, so it was
// counted as "1 lines repeat lines of jan.csv (the exports overlap)"; it is a repeated header.
test("a header line pasted in a later export is a repeated header, not an overlap", async () => {
  const dir = exportsFolder({
    "1-jan.csv": "customer_id,date,amount\na,2020-01-05,10\n",
    "2-feb.csv":
      "customer_id,date,amount\nb,2020-02-01,4\ncustomer_id,date,amount\nc,2020-02-03,7\n",
  });
  const { log, quality } = await read(dir);
  expect(days(log)).toEqual(["a 2020-01-05 10", "b 2020-02-01 4", "c 2020-02-03 7"]);
  expect(quality.repeated_lines).toBeUndefined();
  expect(quality.skipped).toEqual({
    "the header line repeated (files joined one after another)": 1,
  });
  expect(quality.examples).toEqual({
    "the header line repeated (files joined one after another)": [3],
  });
  expect(quality.example_files).toEqual({
    "the header line repeated (files joined one after another)": [join(dir, "2-feb.csv")],
  });
});

test("a folder of Parquet parts (a Spark or Databricks export) reads as one table; rows named in their part", async () => {
  const dir = exportsFolder({ _SUCCESS: "", ".part-00000.parquet.crc": "crc" });
  const part = (name: string, rows: string) =>
    writeParquet(join(dir, name), `SELECT * FROM (VALUES ${rows}) AS t(customer_id, date, amount)`);
  await part("part-00000.parquet", "('a', DATE '2020-01-05', 10.0), ('b', DATE '2020-01-09', 4.0)");
  await part(
    "part-00001.parquet",
    "('a', DATE '2020-02-03', 5.0), (NULL, DATE '2020-02-04', 1.0), ('c', DATE '2020-02-06', 2.0)",
  );
  const { log, quality } = await read(dir);
  expect(days(log)).toEqual([
    "a 2020-01-05 10",
    "a 2020-02-03 5",
    "b 2020-01-09 4",
    "c 2020-02-06 2",
  ]);
  expect(quality.files).toEqual([join(dir, "part-00000.parquet"), join(dir, "part-00001.parquet")]);
  expect(quality.examples).toEqual({ "missing customer id": [2] });
  expect(quality.example_files).toEqual({
    "missing customer id": [join(dir, "part-00001.parquet")],
  });
  expect(dataQualityLines(quality).join("\n")).toContain(
    `missing customer id (e.g. ${join(dir, "part-00001.parquet")} row 2)`,
  );
  const error = await failure(read(dir, { onBadRow: "fail" }));
  expect(error?.message).toBe(
    `${join(dir, "part-00001.parquet")}: line 2, field "customer_id": missing customer id`,
  );
});

test("headerless parts (Spark's df.write.csv) join whole, read by DuckDB's column names", async () => {
  // Ids that look like ids (not words), so DuckDB's sniffer sees no header line either.
  const rows = (month: number) =>
    Array.from({ length: 20 }, (_, i) => `${1000 + i},2020-0${month}-${10 + i},${i + 1}.5\n`).join(
      "",
    );
  const dir = exportsFolder({
    "part-00000.csv": rows(1),
    "part-00001.csv": `${rows(2)},2020-02-28,1.5\n`,
  });
  const columns = { customerId: "column0", date: "column1", amount: "column2" };
  const { log, quality } = await read(dir, { columns });
  expect(log.length).toBe(40);
  expect(quality.rows_read).toBe(41);
  expect(quality.examples).toEqual({ "missing customer id": [21] });
  expect(quality.example_files).toEqual({ "missing customer id": [join(dir, "part-00001.csv")] });
});

// What single files are tested with, through a joined folder: the join copies bytes as they are,
// so NUL and lone surrogates stay ids, and 1e308 and id words are skipped, named in their files.
test("hostile values through a joined folder: lone surrogates are ids, NUL ids, 1e308 and NULL ids skipped in their files", async () => {
  const dir = exportsFolder({
    "1.csv": `${HEADER}1,"a\u0000b",2020-01-01,1,1\n2,"\ud800",2020-01-01,1,2\n3,c,2020-01-02,10,1e308\n`,
    "2.csv": `${HEADER}4,"a\u0000b",2020-02-01,1,3\n5,NULL,2020-02-01,1,1\n6,"\udfff x",2020-02-02,1,1e13\n7,"\ud800",2020-02-03,2,2\n`,
  });
  const { log, quality } = await read(dir, { columns: ORDERS });
  expect(days(log)).toEqual(["\ufffd 2020-01-01 2", "\ufffd 2020-02-03 4"]);
  const outOfRange = "amount out of range (not finite, or above 1000000000000 in size)";
  const word = "customer id written as a missing value (NULL, \\N, NA, nan, None, …)";
  const nul = "customer id with a NUL character (binary data)";
  expect(quality.skipped).toEqual({ [nul]: 2, [outOfRange]: 2, [word]: 1 });
  expect(quality.examples).toEqual({ [nul]: [2, 2], [outOfRange]: [4, 4], [word]: [3] });
  expect(quality.example_files).toEqual({
    [nul]: [join(dir, "1.csv"), join(dir, "2.csv")],
    [outOfRange]: [join(dir, "1.csv"), join(dir, "2.csv")],
    [word]: [join(dir, "2.csv")],
  });
});

test("a folder of newline-delimited JSON parts (a BigQuery export) reads as one table; rows named in their part", async () => {
  const dir = exportsFolder({
    "orders-000000000000.json":
      '{"customer_id":"a","date":"2020-01-05","amount":10}\n{"customer_id":"b","date":"2020-01-09","amount":4}\n',
    "orders-000000000001.json.gz": gzipSync(
      '{"customer_id":"a","date":"2020-02-03","amount":5}\n{"customer_id":null,"date":"2020-02-04","amount":1}\n{"customer_id":"c","date":"2020-02-06","amount":2,"coupon":"X"}\n',
    ),
  });
  const { log, quality } = await read(dir);
  expect(days(log)).toEqual([
    "a 2020-01-05 10",
    "a 2020-02-03 5",
    "b 2020-01-09 4",
    "c 2020-02-06 2",
  ]);
  const second = join(dir, "orders-000000000001.json.gz");
  expect(quality.files).toEqual([join(dir, "orders-000000000000.json"), second]);
  expect(quality.examples).toEqual({ "missing customer id": [2] });
  expect(quality.example_files).toEqual({ "missing customer id": [second] });
  const error = await failure(read(dir, { onBadRow: "fail" }));
  expect(error?.message).toBe(`${second}: line 2, field "customer_id": missing customer id`);
  // JSON beside CSV is refused, naming the odd one out.
  writeFileSync(join(dir, "notes.csv"), "customer_id,date,amount\n");
  expect((await failure(read(dir)))?.message).toContain("names files of other kinds");
});

test("a folder of an export's tables (Olist's orders, customers, payments) points to --query, naming the tables", async () => {
  const dir = exportsFolder({
    "olist_customers_dataset.csv":
      "customer_id,customer_unique_id,customer_city\nc1,p1,sao paulo\n",
    "olist_order_payments_dataset.csv":
      "order_id,payment_sequential,payment_type,payment_installments,payment_value\no1,1,voucher,1,20.00\n",
    "olist_orders_dataset.csv":
      "order_id,customer_id,order_status,order_purchase_timestamp\no1,c1,delivered,2017-10-02 10:56:33\n",
  });
  const error = await failure(read(dir));
  expect(error).toBeInstanceOf(InputError);
  const hint = (error as InputError).hint ?? "";
  // Not "join only exports with the same columns": the folder is tables to join, not months to append.
  expect(hint).toContain("--query");
  expect(hint).toContain(
    "olist_customers_dataset, olist_order_payments_dataset, olist_orders_dataset",
  );
  expect(error?.message).toContain("different columns");
  // Exports of one layout written with another delimiter are not pointed to a join.
  const months = exportsFolder({
    "a.csv": "customer_id,date,amount\nx,2020-01-01,1\n",
    "b.csv": "customer_id;date;amount\nx;2020-01-02;1\n",
  });
  const other = await failure(read(months));
  expect((other as InputError).hint).not.toContain("--query");
});
