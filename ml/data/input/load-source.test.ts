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

/** A temp folder and an in-memory DuckDB for one describe block's tests. */
function duckDbFixture(prefix: string) {
  const f = {} as { dir: string; instance: DuckDBInstance; connection: DuckDBConnection };
  beforeAll(async () => {
    f.dir = mkdtempSync(join(tmpdir(), prefix));
    f.instance = await DuckDBInstance.create(":memory:");
    f.connection = await f.instance.connect();
  });
  afterAll(() => {
    f.connection.closeSync();
    f.instance.closeSync();
    rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}

describe("pinned CSV dialect", () => {
  const f = duckDbFixture("pp-pinned-");

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
      const path = join(f.dir, `${name.replace(/\W+/g, "-")}.csv${given.gzip ? ".gz" : ""}`);
      const bytes = given.utf16 ? Buffer.from(text, "utf16le") : Buffer.from(text);
      writeFileSync(path, given.gzip ? Bun.gzipSync(bytes) : bytes);
      const headerless = given.header === "false";
      const names =
        headerless || given.numbered
          ? { customerId: "column0", date: "column1", amount: "column2" }
          : columns;
      const source = { kind: "csv" as const, path, ...(headerless ? { header: false } : {}) };
      const second = sideBySide ? await f.instance.connect() : undefined;
      const loaded = await loadSource(f.connection, source, names, "UTC", second);
      second?.closeSync();
      expect(loaded.peek).toContain("auto_detect = false");
      const skip = loaded.skipLines ? `, skip = ${loaded.skipLines}` : "";
      const encoding = loaded.encoding ? `, encoding = ${sqlString(loaded.encoding)}` : "";
      const sniffing = `read_csv(${sqlString(path)}, auto_type_candidates = ['VARCHAR'], ignore_errors = true, header = ${loaded.header}${skip}${encoding})`;
      const pinned = await rowsOf(f.connection, loaded.peek, names);
      expect(pinned.length).toBeGreaterThan(1);
      expect(pinned).toEqual(await rowsOf(f.connection, sniffing, names));
    });
  }
});

// A file whose line ends change partway (exports joined with `cat`, a CRLF header over LF rows)
// reads row for row as the same file with LF only.
describe("mixed line ends", () => {
  const f = duckDbFixture("pp-eol-");

  const header = "customer_id,date,note,amount";
  const day = (i: number) => `2020-01-${String(1 + (i % 28)).padStart(2, "0")}`;
  /** Lines [from, from + n), each ended by `eol`. */
  const lines = (from: number, n: number, eol: string) =>
    Array.from(
      { length: n },
      (_, i) => `c${(from + i) % 997},${day(from + i)},n,${i % 90}.5${eol}`,
    ).join("");
  // Quoted values holding CRLF, LF and a lone CR are values, not line ends.
  const quoted = (eol: string) =>
    `"x\r\ny",2020-02-01,"a ""q"" b",1${eol}"x\ny",2020-02-02,"lone\rcr",2${eol}`;
  /** Each layout: its records, and its text with `crlf` "\r\n" (mixed) or "\n" (uniform twin). */
  const layouts: Array<[string, number, (crlf: string) => string]> = [
    [
      "two exports joined, CRLF then LF",
      102,
      (crlf) => header + crlf + lines(0, 50, crlf) + quoted(crlf) + lines(50, 50, "\n"),
    ],
    ["a CRLF header over LF rows", 100, (crlf) => header + crlf + lines(0, 100, "\n")],
    // Past the sniffer's 20,480-line sample and the 256 KiB head.
    [
      "LF for 30k lines, then CRLF",
      30_052,
      (crlf) => `${header}\n${quoted("\n")}${lines(0, 30_000, "\n")}${lines(30_000, 50, crlf)}`,
    ],
    [
      "CRLF for 30k lines, then LF",
      30_050,
      (crlf) => header + crlf + lines(0, 30_000, crlf) + lines(30_000, 50, "\n"),
    ],
    // Past the head and before the tail, but in the sniffer's sample: looked for once it fails.
    [
      "LF with CRLF lines in the middle",
      24_050,
      (crlf) =>
        `${header}\n${lines(0, 12_000, "\n")}${lines(12_000, 50, crlf)}${lines(12_050, 12_000, "\n")}`,
    ],
  ];

  async function load(name: string, text: string) {
    const path = join(f.dir, `${name.replace(/\W+/g, "-")}.csv`);
    writeFileSync(path, text);
    const second = await f.instance.connect();
    const loaded = await loadSource(f.connection, { kind: "csv", path }, columns, "UTC", second);
    second.closeSync();
    const select = `SELECT customer_id, date, note, amount FROM ${loaded.scan(["amount"])}`;
    try {
      const rows = (await f.connection.runAndReadAll(select)).getRows().map((r) => r.map(String));
      return { loaded, rows };
    } finally {
      await loaded.close?.();
    }
  }

  for (const [name, records, layout] of layouts) {
    test(`${name}: read as the same file with LF line ends`, async () => {
      const mixed = await load(name, layout("\r\n"));
      const uniform = await load(`${name} LF`, layout("\n"));
      expect(mixed.loaded.mixedLineEnds).toBe(true);
      expect(uniform.loaded.mixedLineEnds).toBeUndefined();
      expect(uniform.rows.length).toBe(records);
      expect(mixed.rows).toEqual(uniform.rows);
    });
  }
});
