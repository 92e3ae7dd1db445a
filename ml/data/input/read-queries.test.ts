// A read's fixed cost is its DuckDB queries: each costs a few milliseconds however small the log
// (issue #19: file → summaries 9–14% slower than ea36ea8). These tests count the queries of a
// small read, so that a probe whose answer is already known does not come back unnoticed.

import { expect, test } from "bun:test";
import { DuckDBConnection } from "@duckdb/node-api";
import { tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";

/** Every SQL text run on any DuckDB connection while `work` runs (one line each). */
async function queriesOf(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const run = DuckDBConnection.prototype.run;
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql, ...rest) {
    seen.push(sql.replace(/\s+/g, " "));
    return run.call(this, sql, ...rest);
  };
  try {
    await work();
  } finally {
    DuckDBConnection.prototype.run = run;
  }
  return seen;
}

const ISO_LOG = "customer_id,date,amount\n1,2021-01-05,10.5\n2,2021-02-01,20\n1,2021-03-09,7.25\n";

test("every date read: no sample of the unread ones is copied", async () => {
  const queries = await queriesOf(() => read(file(ISO_LOG)));
  expect(queries.filter((q) => /TABLE date_sample AS .*unread_date/.test(q))).toEqual([]);
});

test("dates without a time of day in the sniffed sample: their hours are not sampled again", async () => {
  const queries = await queriesOf(() => read(file(ISO_LOG)));
  expect(queries.filter((q) => q.includes(" AS hour,"))).toEqual([]);
});

test("times of day in the sample: their hours are sampled (utc-days.test.ts says what of)", async () => {
  const timed = ISO_LOG.replace(/(\d{4}-\d{2}-\d{2})/g, "$1T10:15:00Z");
  const queries = await queriesOf(() => read(file(timed)));
  expect(queries.filter((q) => q.includes(" AS hour,"))).toHaveLength(1);
});

test("dates such as 19970101: layouts with separators none of them holds are not parsed", async () => {
  const lines = Array.from(
    { length: 40 },
    (_, i) => `c${i % 7},199701${String(1 + (i % 28)).padStart(2, "0")},${i + 1}`,
  );
  const log = file(["customer_id,date,amount", ...lines].join("\n"));
  const queries = await queriesOf(async () => {
    const { quality } = await read(log);
    expect(quality.date_format).toBe("%Y%m%d");
  });
  expect(queries.filter((q) => q.includes("try_strptime(v, '%d/%m/%Y')"))).toEqual([]);
  expect(queries.filter((q) => q.includes("try_strptime(v, '%Y%m%d')")).length).toBeGreaterThan(0);
});
