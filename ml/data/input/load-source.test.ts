// The CSV dialect is sniffed once and pinned (auto_detect off) for every later read: each read
// must hold what DuckDB's own sniffing read holds, row for row, across the dialects shops export.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { loadSource } from "./load-source.ts";
import { sqlString } from "./sql-text.ts";

const columns = { customerId: "customer_id", date: "date", amount: "amount" };

/** The three roles' values of a scan (each as text, ∅ for NULL), in the scan's order. */
async function rowsOf(
  connection: DuckDBConnection,
  from: string,
  names: typeof columns,
): Promise<string[][]> {
  const select = [names.customerId, names.date, names.amount].map((c) => `"${c}"`).join(", ");
  const reader = await connection.runAndReadAll(`SELECT ${select} FROM ${from}`);
  return reader.getRows().map((r) => r.map((v) => (v === null ? "∅" : String(v))));
}

describe("pinned CSV dialect", () => {
  let dir: string;
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pp-pinned-"));
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  });

  const body = (sep: string, eol: string, rows: string[][]) =>
    rows.map((r) => r.join(sep)).join(eol) + eol;
  const plain = [
    ["customer_id", "date", "amount"],
    ["c1", "2020-01-02", "12.5"],
    ["c2", "2020-01-03", "7"],
    ["c3", "2020-01-04", ""],
  ];
  const cases: Array<[string, string, Record<string, string>]> = [
    ["comma, LF", body(",", "\n", plain), {}],
    ["semicolon, CRLF", body(";", "\r\n", plain), {}],
    ["tab, CR", body("\t", "\r", plain), {}],
    [
      "quoted fields holding the delimiter, quotes and a line break",
      'customer_id,date,amount\n"Smith, J",2020-01-02,"1,5"\n"say ""hi""",2020-01-03,2\n"two\nlines",2020-01-04,3\n',
      {},
    ],
    [
      "a report title and a blank line above the header",
      `Sales export 2020\n\n${body(",", "\n", plain)}`,
      {},
    ],
    [
      "a ragged row among good ones",
      "customer_id,date,amount\nc1,2020-01-02,1\nc2,2020-01-03\nc3,2020-01-04,3,extra\nc4,2020-01-05,4\n",
      {},
    ],
    ["no header", "c1,2020-01-02,1\nc2,2020-01-03,2\nc3,2020-01-04,3\n", { header: "false" }],
    [
      "no header, found by the sniffer",
      "c1,2020-01-02,1.5\nc2,2020-01-03,2.5\nc3,2020-01-04,3.5\n",
      { numbered: "true" },
    ],
    ["gzip, semicolon", body(";", "\n", plain), { gzip: "true" }],
    ["a UTF-8 byte-order mark", `\uFEFF${body(",", "\r\n", plain)}`, {}],
    ["UTF-16 with its byte-order mark", `\uFEFF${body(";", "\r\n", plain)}`, { utf16: "true" }],
  ];

  // With a second connection, the pinning sniff for a header on line 1 runs beside the dialect's
  // sniff and is kept only when the dialect turns out to be that one.
  const each = cases.flatMap(([name, text, given]) => [
    [name, text, given, false] as const,
    [`${name}, sniffed side by side`, text, given, true] as const,
  ]);
  for (const [name, text, given, sideBySide] of each) {
    test(`${name}: the pinned read holds what DuckDB's sniffing read holds`, async () => {
      const path = join(dir, `${name.replace(/\W+/g, "-")}.csv${given.gzip ? ".gz" : ""}`);
      const bytes = given.utf16 ? Buffer.from(text, "utf16le") : Buffer.from(text);
      writeFileSync(path, given.gzip ? Bun.gzipSync(bytes) : bytes);
      const headerless = given.header === "false";
      const names =
        headerless || given.numbered
          ? { customerId: "column0", date: "column1", amount: "column2" }
          : columns;
      const source = { kind: "csv" as const, path, ...(headerless ? { header: false } : {}) };
      const second = sideBySide ? await instance.connect() : undefined;
      const loaded = await loadSource(connection, source, names, "UTC", second);
      second?.closeSync();
      expect(loaded.peek).toContain("auto_detect = false");
      const skip = loaded.skipLines ? `, skip = ${loaded.skipLines}` : "";
      const encoding = loaded.encoding ? `, encoding = ${sqlString(loaded.encoding)}` : "";
      const sniffing = `read_csv(${sqlString(path)}, auto_type_candidates = ['VARCHAR'], ignore_errors = true, header = ${loaded.header}${skip}${encoding})`;
      const pinned = await rowsOf(connection, loaded.peek, names);
      expect(pinned.length).toBeGreaterThan(1);
      expect(pinned).toEqual(await rowsOf(connection, sniffing, names));
    });
  }
});
