// The SQL that turns table `raw` into purchase days: each line typed (date, amount = quantity ×
// price or the amount column) and classified (skipped with a reason, return/cancellation, or
// purchase); lines of one order dated by the order's first line; purchases merged per customer and
// day; returns subtracted from the original order's day (else the customer's latest purchase day
// on or before the return, else the first); customers numbered in id order.

import { ISO } from "./date-format.ts";
import type { LogColumns } from "./log-input.ts";
import { sqlIdentifier, sqlString } from "./sql-text.ts";

const DATE_TYPES = /^(DATE|TIMESTAMP)/;

/** SQL of a column as trimmed text, NULL when empty. */
const text = (column: string) => `NULLIF(trim(CAST(${sqlIdentifier(column)} AS VARCHAR)), '')`;
// DuckDB's cast to DOUBLE skips surrounding blanks itself (and read_csv gives empty fields as NULL).
const number = (column: string) => `TRY_CAST(${sqlIdentifier(column)} AS DOUBLE)`;

/** The purchase day (DATE) of a line, by the column's type and the date format. */
export function dayExpression(
  column: string,
  type: string,
  format: string | null,
  withTimezone: boolean,
): string {
  const c = sqlIdentifier(column);
  // TIMESTAMPTZ → DATE uses the session TimeZone (set to --timezone): the shop's calendar day.
  if (DATE_TYPES.test(type)) return `CAST(${c} AS DATE)`;
  const t = text(column);
  if (format === ISO) {
    if (withTimezone) return `CAST(TRY_CAST(${t} AS TIMESTAMPTZ) AS DATE)`;
    // The date as written (any time or offset after it is the shop's own local time); the plain
    // date cast first, as it is the common case and the fastest.
    return `coalesce(TRY_CAST(${c} AS DATE), CASE WHEN substr(${t}, 11, 1) IN ('T', ' ')
      THEN TRY_CAST(left(${t}, 10) AS DATE) END)`;
  }
  return `CAST(try_strptime(${t}, ${sqlString(format ?? ISO)}) AS DATE)`;
}

export interface LinesSqlOptions {
  columns: LogColumns;
  /** The scan: a table function call (read_csv, read_parquet) or a table name. */
  from: string;
  dayExpression: string;
  cancelPattern?: string;
}

type NumericRole = "amount" | "quantity" | "price";

/** Checks in order (on the typed subquery's columns); the first that fails is the reason. */
function reasons(columns: LogColumns, amount: string): string[] {
  const checks = [
    `WHEN customer_id IS NULL THEN 'missing customer id'`,
    "WHEN NOT date_present THEN 'missing date'",
    "WHEN day IS NULL THEN 'unreadable date'",
  ];
  const numeric = (role: NumericRole, required: boolean) => {
    if (columns[role] === undefined) return;
    if (required) checks.push(`WHEN NOT ${role}_present THEN 'missing ${role}'`);
    checks.push(
      `WHEN ${role}_present AND (${role}_value IS NULL OR NOT isfinite(${role}_value)) THEN 'unreadable ${role}'`,
    );
  };
  if (columns.price !== undefined) {
    numeric("quantity", true);
    numeric("price", true);
  } else {
    numeric("amount", true);
    numeric("quantity", false);
  }
  // quantity × price can overflow even when both are finite (1e308 × 10).
  checks.push(`WHEN NOT isfinite(${amount}) THEN 'amount out of range'`);
  return checks;
}

/**
 * CREATE TABLE lines(customer_id, day, amount, quantity, order_id, reason, is_return) straight
 * from the scan; its rowid is the row's position in the source (insertion order is kept).
 */
export function linesSql(options: LinesSqlOptions): string {
  const { columns } = options;
  const typed = [
    `${text(columns.customerId)} AS customer_id`,
    `${options.dayExpression} AS day`,
    `${text(columns.date)} IS NOT NULL AS date_present`,
    `${columns.order ? text(columns.order) : "CAST(NULL AS VARCHAR)"} AS order_id`,
  ];
  for (const role of ["amount", "quantity", "price"] as const) {
    const c = columns[role];
    if (c === undefined) continue;
    typed.push(
      `${number(c)} AS ${role}_value`,
      `${sqlIdentifier(c)} IS NOT NULL AS ${role}_present`,
    );
  }
  const amount = columns.price !== undefined ? "quantity_value * price_value" : "amount_value";
  const quantity = columns.quantity ? "coalesce(quantity_value, 0)" : "0";
  const cancelled = options.cancelPattern
    ? `OR regexp_matches(coalesce(order_id, ''), ${sqlString(options.cancelPattern)})`
    : "";
  return `CREATE OR REPLACE TABLE lines AS
SELECT customer_id, day, ${amount} AS amount, ${quantity} AS quantity, order_id,
  CASE ${reasons(columns, amount).join("\n    ")} END AS reason,
  (${amount} < 0 OR ${quantity} < 0 ${cancelled}) AS is_return
FROM (SELECT ${typed.join(",\n    ")} FROM ${options.from}) AS typed`;
}

/** Purchase lines, dated by their order's first line when there is an order id. */
function purchaseLines(byOrder: boolean): string {
  if (!byOrder) {
    return "SELECT customer_id, day, amount, quantity FROM lines WHERE reason IS NULL AND NOT is_return";
  }
  return `SELECT customer_id, amount, quantity,
    CASE WHEN order_id IS NULL THEN day
      ELSE min(day) OVER (PARTITION BY customer_id, order_id) END AS day
    FROM lines WHERE reason IS NULL AND NOT is_return`;
}

/**
 * Purchases merged per customer and day; customers numbered in id order (deterministic, and
 * about twice as fast on millions of customers as numbering them by first appearance).
 */
export function purchasesSql(byOrder: boolean): string[] {
  return [
    `CREATE OR REPLACE TABLE purchase_days AS SELECT customer_id, day, sum(amount) AS amount,
       sum(quantity) AS quantity
     FROM (${purchaseLines(byOrder)}) AS p GROUP BY customer_id, day`,
    `CREATE OR REPLACE TABLE customers AS SELECT customer_id,
       CAST(row_number() OVER (ORDER BY customer_id) - 1 AS INTEGER) AS k
     FROM (SELECT DISTINCT customer_id FROM purchase_days) AS c`,
  ];
}

/** Returns matched to a purchase day (by order, else same customer); then subtracted, floor 0. */
export function netReturnsSql(byOrder: boolean, cancelPattern: string | undefined): string[] {
  const original = cancelPattern
    ? `regexp_replace(order_id, ${sqlString(cancelPattern)}, '')`
    : "order_id";
  const orderDay = byOrder
    ? `LEFT JOIN (SELECT customer_id, order_id, min(day) AS day FROM lines
         WHERE reason IS NULL AND NOT is_return AND order_id IS NOT NULL
         GROUP BY customer_id, order_id) AS o
       ON o.customer_id = r.customer_id AND o.order_id = r.original`
    : "LEFT JOIN (SELECT NULL AS day) AS o ON false";
  return [
    `CREATE OR REPLACE TABLE return_targets AS
     SELECT r.customer_id, r.value, o.day IS NOT NULL AS by_order,
       coalesce(o.day,
         (SELECT max(p.day) FROM purchase_days AS p
           WHERE p.customer_id = r.customer_id AND p.day <= r.day),
         (SELECT min(p.day) FROM purchase_days AS p WHERE p.customer_id = r.customer_id)) AS day
     FROM (SELECT customer_id, day, abs(amount) AS value, ${original} AS original
           FROM lines WHERE reason IS NULL AND is_return) AS r
     ${orderDay}`,
    `UPDATE purchase_days SET amount = greatest(purchase_days.amount - n.value, 0)
     FROM (SELECT customer_id, day, sum(value) AS value FROM return_targets
           WHERE day IS NOT NULL GROUP BY customer_id, day) AS n
     WHERE purchase_days.customer_id = n.customer_id AND purchase_days.day = n.day`,
  ];
}

/**
 * The rows handed to JavaScript: customer number, day number, spend, quantity. Unordered (the
 * summaries sort by customer and day themselves, and (customer, day) is unique here).
 */
export const PURCHASE_DAYS_OUT_SQL = `SELECT c.k, CAST(p.day - DATE '1970-01-01' AS INTEGER) AS d,
  CAST(p.amount AS DOUBLE) AS amount, CAST(p.quantity AS DOUBLE) AS quantity
FROM purchase_days AS p JOIN customers AS c USING (customer_id)`;
