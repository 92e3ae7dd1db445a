// countsOf leaves out a layout whose literal characters no value holds: right only while DuckDB's
// strptime reads no value without them. Checked here on every candidate layout, against values
// each layout writes and the same values with their separators dropped or changed.

import { expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { CANDIDATE_FORMATS } from "./date-format.ts";
import { layoutLiterals } from "./date-layout-literals.ts";
import { sqlString } from "./sql-text.ts";

test("layoutLiterals: the characters between the fields, blanks aside; none for %N and %Z", () => {
  expect(layoutLiterals("%d/%m/%Y %H:%M")).toEqual(["/", ":"]);
  expect(layoutLiterals("%Y-%m-%dT%H:%M:%S.%f")).toEqual(["-", "T", ":", "."]);
  expect(layoutLiterals("%Y%m%d")).toEqual([]);
  expect(layoutLiterals("%-d.%-m.%Y")).toEqual(["."]);
  expect(layoutLiterals("%d %N %Y")).toEqual([]);
  expect(layoutLiterals("%m/%d/%Y %H:%M:%S %Z")).toEqual([]);
});

test("strptime reads no value without each literal of its layout (every candidate layout)", async () => {
  const layouts = CANDIDATE_FORMATS.filter((f) => layoutLiterals(f).length > 0);
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const stamps = ["2021-01-05 08:07:09.123456", "1997-12-31 23:59:59"];
    const written = stamps.flatMap((s) =>
      // %n (nanoseconds) is a reading specifier only: written as %f.
      layouts.map(
        (f) => `strftime(TIMESTAMP ${sqlString(s)}, ${sqlString(f.replace("%n", "%f"))})`,
      ),
    );
    await connection.run(`CREATE TABLE written AS SELECT unnest([${written.join(", ")}]) AS w`);
    await connection.run(
      `CREATE TABLE vals AS SELECT DISTINCT v FROM written, unnest([w,
         regexp_replace(w, '[-/.:,T]', '', 'g'), regexp_replace(w, '[-/.:,]', ' ', 'g'),
         replace(w, '/', '-'), replace(w, '-', '/'), replace(w, ':', ''), lower(w)]) AS t(v)`,
    );
    const violations: string[] = [];
    let read = 0;
    for (const f of layouts) {
      const reader = await connection.runAndReadAll(
        `SELECT v FROM vals WHERE try_strptime(v, ${sqlString(f)}) IS NOT NULL`,
      );
      for (const { v } of reader.getRowObjectsJS() as { v: string }[]) {
        read++;
        if (layoutLiterals(f).some((c) => !v.includes(c))) violations.push(`${f}: ${v}`);
      }
    }
    expect(read).toBeGreaterThan(layouts.length);
    expect(violations).toEqual([]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});
