// Runs summaries.sql through any SQL engine that takes $1..$3 parameters (DuckDB, Postgres) and
// turns the rows into CustomerSummaries, so the SQL path can be checked against summarize().

import { readFileSync } from "node:fs";
import type { CustomerSummaries, SummaryOptions } from "./customer-summaries.ts";
import { summaryWindow, unitDays } from "./summaries.ts";

/** Path of the query file. */
const SUMMARIES_SQL_URL = new URL("./summaries.sql", import.meta.url);

/** The summary query: transactions(customer_id, tx_date, amount); $1 cal end, $2 holdout end, $3 unit days. */
export function loadSummariesSql(): string {
  return readFileSync(SUMMARIES_SQL_URL, "utf8");
}

/** Counts the customers the query leaves out (first purchase after the calibration end); $1 = cal end. */
const EXCLUDED_CUSTOMERS_SQL = `SELECT CAST(COUNT(*) AS DOUBLE PRECISION) AS excluded FROM (
  SELECT customer_id FROM transactions GROUP BY customer_id
  HAVING MIN(CAST(tx_date AS DATE)) > CAST($1 AS DATE)) AS late`;

/** Runs one parameterised query and returns its rows as plain objects. */
export type SqlRunner = (
  query: string,
  params: (string | number)[],
) => Promise<Record<string, unknown>[]>;

function numberOf(row: Record<string, unknown>, column: string): number {
  const v = row[column];
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n))
    throw new TypeError(`summaries.sql: column ${column} is not a number: ${String(v)}`);
  return n;
}

/** The SQL path's CustomerSummaries; rows come ordered by customer id (string order). */
export async function summarizeWithSql(
  run: SqlRunner,
  opts: SummaryOptions,
): Promise<CustomerSummaries> {
  const unit = unitDays(opts.timeUnit);
  const { calibrationEnd, holdoutEnd } = summaryWindow(opts);
  const holdoutIso = opts.holdoutEnd ?? opts.calibrationEnd;
  const rows = await run(loadSummariesSql(), [opts.calibrationEnd, holdoutIso, unit]);
  const [excludedRow] = await run(EXCLUDED_CUSTOMERS_SQL, [opts.calibrationEnd]);
  const n = rows.length;
  const s: CustomerSummaries = {
    ids: new Array(n),
    n,
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    firstSpend: new Float64Array(n),
    firstDay: new Int32Array(n),
    holdoutPurchases: new Float64Array(n),
    holdoutSpend: new Float64Array(n),
    holdoutLength: (holdoutEnd - calibrationEnd) / unit,
    excludedAfterCalibration: excludedRow ? numberOf(excludedRow, "excluded") : 0,
    options: { ...opts },
  };
  for (let i = 0; i < n; i++) {
    const row = rows[i] as Record<string, unknown>;
    s.ids[i] = String(row.customer_id);
    s.x[i] = numberOf(row, "x");
    s.tx[i] = numberOf(row, "t_x");
    s.T[i] = numberOf(row, "T");
    s.monetary[i] = numberOf(row, "monetary");
    s.firstSpend[i] = numberOf(row, "first_spend");
    s.holdoutPurchases[i] = numberOf(row, "holdout_purchases");
    s.holdoutSpend[i] = numberOf(row, "holdout_spend");
    // Derived from T, so the query need not return a date (whose JS type differs per driver).
    s.firstDay[i] = calibrationEnd - Math.round(s.T[i]! * unit);
  }
  return s;
}
