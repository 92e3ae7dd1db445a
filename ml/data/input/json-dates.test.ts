// API exports write times with their offset (Shopify's "2021-01-01T08:18:09-05:00") or as UTC
// ("…Z"). DuckDB's read_json typed such a field as a naive TIMESTAMP already converted to UTC, so
// the day was the UTC day and --timezone could not act on it; the same rows as CSV were right.

import { expect, test } from "bun:test";
import {
  purchaseDays as days,
  tempLogFile as file,
  LOG_COLUMNS,
  readCsvLog,
} from "../../testing/log-files.ts";
import { readTransactionLog } from "./read-transaction-log.ts";

// New York's evenings and nights around the 2022-03-13 change to summer time: a's two purchases
// are one local day and two UTC days, b's two local days, c's (written in UTC) one New York day.
const ROWS = [
  ["a", "2022-03-13T00:30:00-05:00", 10],
  ["a", "2022-03-13T23:30:00-04:00", 20],
  ["b", "2022-03-12T20:30:00-05:00", 30],
  ["b", "2022-03-13T20:30:00-04:00", 40],
  ["c", "2022-03-13T05:30:00Z", 50],
  ["c", "2022-03-14T03:30:00Z", 60],
] as const;

/** The rows as CSV and in each JSON layout (NDJSON, an array, records under one key). */
function logs(rows: ReadonlyArray<readonly [string, string, number]>) {
  const records = rows.map(([customer_id, date, amount]) => ({ customer_id, date, amount }));
  return {
    csv: file(["customer_id,date,amount", ...rows.map((r) => r.join(","))].join("\n")),
    json: [
      file(records.map((r) => JSON.stringify(r)).join("\n"), "ndjson"),
      file(JSON.stringify(records), "json"),
      file(JSON.stringify({ orders: records }), "json"),
    ],
  };
}

const readJson = (path: string, timezone?: string) =>
  readTransactionLog({
    source: { kind: "json", path },
    columns: LOG_COLUMNS,
    ...(timezone ? { timezone } : {}),
  });

test("JSON times with an offset or Z: the day as written, the shop's day with --timezone, as CSV reads them", async () => {
  const offsets = ROWS.filter((r) => !r[1].endsWith("Z"));
  const utc = ROWS.filter((r) => r[1].endsWith("Z"));
  const expected = [
    // As written: a's two times are one day where they were written, c's two UTC days.
    [offsets, ["a 2022-03-13 30", "b 2022-03-12 30", "b 2022-03-13 40"], undefined],
    [utc, ["c 2022-03-13 50", "c 2022-03-14 60"], undefined],
    // New York's days: c's UTC times are one evening there.
    [offsets, ["a 2022-03-13 30", "b 2022-03-12 30", "b 2022-03-13 40"], "America/New_York"],
    [utc, ["c 2022-03-13 110"], "America/New_York"],
  ] as const;
  for (const [rows, purchaseDays, timezone] of expected) {
    const { csv, json } = logs(rows);
    const fromCsv = await readCsvLog(csv, timezone ? { timezone } : {});
    expect(days(fromCsv.log)).toEqual([...purchaseDays]);
    for (const path of json) {
      const fromJson = await readJson(path, timezone);
      expect(days(fromJson.log)).toEqual([...purchaseDays]);
      expect(fromJson.quality.date_format).toBe(fromCsv.quality.date_format);
    }
  }
});
