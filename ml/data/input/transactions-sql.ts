// The SQL that turns table `raw` into purchase days: each line typed (date, amount = quantity ×
// price or the amount column) and classified (skipped with a reason, return/cancellation, or
// purchase); lines of one order dated by the order's first line; returns subtracted from the
// original order's day (else the customer's latest purchase day on or before the return, else the
// first), the days a return made after them was netted into kept as bought for summaries at an
// earlier cutoff; customers numbered in id order; the purchase rows handed to JavaScript.

import {
  latestPurchaseDate,
  MAX_AMOUNT,
  MAX_CUSTOMER_ID_LENGTH,
  PLACEHOLDER_DATES_UNTIL,
} from "@pp/shared/contracts/forecast-request.ts";
import {
  customerIdSql,
  ID_STEPS,
  idAsWrittenSql,
  idStepsSql,
  missingIdWordSql,
  noCustomerIdSql,
  totalLineSql,
} from "./customer-id-format.ts";
import {
  ISO,
  isNumericDateFormat,
  isoExtendedSql,
  LAYOUT_SEPARATOR,
  numericDateExpression,
  parsedSql,
} from "./date-format.ts";
import {
  AMOUNT_ON_ANOTHER_LINE,
  LEFT_OUT_BY_FILTER,
  type LogColumns,
  type NumericRole,
} from "./log-input.ts";
import { type NumberFormat, numberExpression } from "./number-format.ts";
import {
  AMOUNT_OUT_OF_RANGE,
  dateInTheFuture,
  LONG_ID,
  MISSING_CUSTOMER_ID,
  MISSING_DATE,
  MISSING_ID_WORD,
  missingValue,
  NUL_IN_ID,
  PLACEHOLDER_DATE,
  REPEATED_HEADER,
  ROUNDED_ID,
  type SkipReason,
  TOTAL_LINE,
  UNREADABLE_DATE,
  unreadableValue,
} from "./skip-reasons.ts";
import { columnNumber, columnText, onlyWhere, sqlIdentifier, sqlString } from "./sql-text.ts";
import { ZONE_NAME, zoneNamesSql } from "./zone-names.ts";

const DATE_TYPES = /^(DATE|TIMESTAMP)/;

/** SQL of a numeric column as DOUBLE, NULL when unreadable. */
function number(column: string, format: NumberFormat, credit?: "sale" | "return"): string {
  // DuckDB's cast to DOUBLE skips surrounding blanks itself (and read_csv gives empty fields as
  // NULL); a CSV reader has typed a plain column already, which makes the cast free.
  if (format === "plain") return columnNumber(column);
  return numberExpression(columnText(column), format, credit);
}

// A numeric offset after a space, and a zone name after it: Rails' and Shopify's "2022-03-01
// 06:41:00 -0500", Go's "… -0500 EST". DuckDB's casts take the offset only without the space.
const SPACED_OFFSET = "\\s+([+-]\\d{2}(?::?\\d{2})?)(?:\\s+[A-Za-z]{1,6})?$";
// Any offset at the end, with what may follow it: what is left is the local time as written.
const ANY_OFFSET = "\\s*(?:Z|[+-]\\d{2}(?::?\\d{2})?)(?:\\s+[A-Za-z]{1,6})?$";
// A time without seconds before its offset ("23:30-0500"), which DuckDB's cast refuses.
const NO_SECONDS = "([T ]\\d{1,2}:\\d{2})([+-]\\d|Z$)";

/**
 * SQL: an ISO date's text as TIMESTAMPTZ reads it: a zone name (`EST`; never DuckDB's own reading
 * of one, which takes BST for Bangladesh) as its offset, no space before the offset, seconds.
 */
function isoInstantText(t: string, utc: boolean): string {
  // A time without an offset in a column named UTC: the UTC offset, so that it converts.
  const text = utc ? `regexp_replace(${t}, ${sqlString(TIME_AT_END)}, '\\1+00:00')` : t;
  const named = `CASE WHEN regexp_matches(${text}, '[A-Za-z)]$') THEN ${zoneNamesSql(text, true)} ELSE ${text} END`;
  const offset = `regexp_replace(${named}, ${sqlString(SPACED_OFFSET)}, '\\1')`;
  return `regexp_replace(${offset}, ${sqlString(NO_SECONDS)}, '\\1:00\\2')`;
}

// A time with nothing after it (no offset, no zone).
const TIME_AT_END = "([T ]\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?)$";

/**
 * A date column whose name says its times are UTC (Stripe's "Created (UTC)", created_utc): with
 * --timezone a time written without an offset is a UTC time, not the shop's, and converts to the
 * shop's day (an evening purchase in New York was the next day). Dates without a time stay.
 */
const UTC_NAMED = /(^|[^a-z])utc([^a-z]|$)/i;

/** The purchase day (DATE) of a line, by the column's type and the date format. */
export function dayExpression(
  column: string,
  type: string,
  format: string | null,
  withTimezone: boolean,
): string {
  const c = sqlIdentifier(column);
  const utc = withTimezone && UTC_NAMED.test(column);
  // TIMESTAMPTZ → DATE uses the session TimeZone (set to --timezone): the shop's calendar day.
  if (DATE_TYPES.test(type)) {
    const naive = type.startsWith("TIMESTAMP") && !type.includes("TIME ZONE");
    return utc && naive ? `CAST(timezone('UTC', ${c}) AS DATE)` : `CAST(${c} AS DATE)`;
  }
  const layouts = format?.split(LAYOUT_SEPARATOR) ?? [];
  if (layouts.length > 1) {
    // Several layouts in one column: each value read by the first that reads it.
    const each = layouts.map((f) => dayExpression(column, type, f, withTimezone));
    return `coalesce(${each.join(", ")})`;
  }
  const t = columnText(column);
  if (isNumericDateFormat(format)) return numericDateExpression(t, format, withTimezone);
  if (format === ISO) {
    // ISO 8601's basic format (20200105T233000Z) rewritten only where the extended one fails.
    const basic = isoExtendedSql(t);
    if (withTimezone) {
      const instant = (text: string) =>
        `CAST(TRY_CAST(${isoInstantText(text, utc)} AS TIMESTAMPTZ) AS DATE)`;
      return `coalesce(${instant(t)}, ${instant(basic)})`;
    }
    // The date as written (any time or offset after it is the shop's own local time); the plain
    // date cast first, as it is the common case and the fastest.
    return `coalesce(TRY_CAST(${c} AS DATE), CASE WHEN substr(${t}, 11, 1) IN ('T', ' ')
      THEN TRY_CAST(left(${t}, 10) AS DATE) END, TRY_CAST(left(${basic}, 10) AS DATE))`;
  }
  const pattern = format ?? ISO;
  // A zone by name: its offset with --timezone (the shop's day), else the time as written.
  if (pattern.includes(ZONE_NAME)) return `CAST(${parsedSql(t, pattern, withTimezone)} AS DATE)`;
  if (!withTimezone && pattern.endsWith("%z")) {
    // Without --timezone a date is the one written, as on the ISO path: not the UTC day that
    // converting the instant would give (an evening purchase in New York is tomorrow in UTC).
    const local = `regexp_replace(${t}, ${sqlString(ANY_OFFSET)}, '')`;
    return `CAST(${parsedSql(local, pattern.replace(/\s*%z$/, ""))} AS DATE)`;
  }
  if (utc && /%[HI]/.test(pattern) && !pattern.endsWith("%z")) {
    return `CAST(timezone('UTC', ${parsedSql(t, pattern)}) AS DATE)`;
  }
  return `CAST(${parsedSql(t, pattern)} AS DATE)`;
}

export interface LinesSqlOptions {
  columns: LogColumns;
  /** The scan: a table function call (read_csv, read_parquet) or a table name. */
  from: string;
  dayExpression: string;
  /** Ids written as 17850.0 (a float export): read without the zero fraction. */
  floatWrittenIds?: boolean;
  /** Ids read lower-cased (--ignore-id-case). */
  ignoreIdCase?: boolean;
  /** SQL: minor units in one unit of the row's currency, when amounts are in minor units. */
  minorUnits?: string;
  /** How each numeric role's column is written (plain when absent). */
  numberFormats?: Partial<Record<NumericRole, NumberFormat>>;
  /** What "CR" on an amount marks (LogInput.creditIs). */
  creditIs?: "sale" | "return";
  cancelPattern?: string;
  /** The header's column names: one in the date column is a header line (maybe reordered). */
  headerNames?: string[];
  /** Values of columns.keepBy that keep a row, and of columns.dropBy that leave it out. */
  keepValues?: string[];
  dropValues?: string[];
  /** Values of columns.returnBy that make a row a return, whatever its amount's sign. */
  returnValues?: string[];
  /**
   * Today (`YYYY-MM-DD`): rows dated after the day after it are skipped as "date in the future"
   * (the day's slack: no time zone's today is refused).
   */
  today?: string;
}

/** The row filters' columns, each with whether it keeps (--keep-rows) or leaves out its values. */
function filterColumns({ keepBy, dropBy }: LogColumns): Array<{ column: string; keep: boolean }> {
  return [
    ...(keepBy === undefined ? [] : [{ column: keepBy, keep: true }]),
    ...(dropBy === undefined ? [] : [{ column: dropBy, keep: false }]),
  ];
}

/**
 * One SQL per filter: true when the row passes it, NULL when the filter's column is empty on the
 * row (with an order column, its order's value then decides).
 */
function filterPassSql(options: LinesSqlOptions): string[] {
  // list_contains, not IN: DuckDB turns a long IN list into a join, which loses the scan's row
  // order (rowid is the line's position, so every line number said would be wrong).
  return filterColumns(options.columns).map(({ column, keep }) => {
    const values = (keep ? options.keepValues : options.dropValues) ?? [];
    const text = columnText(column);
    const listed = `list_contains([${values.map(sqlString).join(", ")}], ${text})`;
    return `CASE WHEN ${text} IS NULL THEN NULL ELSE ${keep ? listed : `NOT ${listed}`} END`;
  });
}

/** SQL: the row is marked a return by --return-rows (its column holds a listed value); else null. */
function markedReturnSql(column: string | undefined, values: string[] | undefined): string | null {
  if (column === undefined || !values?.length) return null;
  const text = columnText(column);
  return `coalesce(list_contains([${values.map(sqlString).join(", ")}], ${text}), false)`;
}

/** True when every filter passes; `pass(i)` is filter i's verdict, NULL for an empty value. */
function keptSql(columns: LogColumns, pass: (i: number) => string): string {
  // An empty value is in no list: --keep-rows leaves the row out, --drop-rows keeps it.
  return filterColumns(columns)
    .map(({ keep }, i) => `coalesce(${pass(i)}, ${keep ? "false" : "true"})`)
    .join(" AND ");
}

/**
 * With an order column, a line that leaves a filter's column empty takes its order's verdict for
 * that filter: order exports (Shopify's) write an order's status on its first line only, and the
 * other lines of a refunded order must go with it. Each filter column on its own: Shopify writes
 * Currency on every line, and a line holding one value was judged on it alone (a refunded USD
 * order's other items were kept). An order fails a filter when a line of it that has a value
 * does; an order without any value in a column leaves its lines to the empty value's verdict.
 * An order is its customer's: ids that restart (a till's receipt numbers) spread one customer's
 * VOID to every customer's receipt of that number, 3,081 rows left out for 70 voided. An UPDATE
 * keeps the rows where they are: a window or a join in the scan's query would lose their order,
 * and rowid is each line's position.
 */
export function orderFiltersSql(columns: LogColumns): string {
  const n = filterColumns(columns).length;
  const each = (f: (i: number) => string, glue: string) =>
    Array.from({ length: n }, (_, i) => f(i)).join(glue);
  const kept = keptSql(columns, (i) => `coalesce(lines.pass_${i}, o.pass_${i})`);
  return `UPDATE lines
  SET reason = CASE WHEN ${kept} THEN lines.reason_unfiltered ELSE ${sqlString(LEFT_OUT_BY_FILTER)} END
  FROM (SELECT customer_id, order_id, ${each((i) => `bool_and(pass_${i}) AS pass_${i}`, ", ")}
        FROM lines WHERE order_id IS NOT NULL AND (${each((i) => `pass_${i} IS NOT NULL`, " OR ")})
        GROUP BY customer_id, order_id) AS o
  WHERE lines.customer_id = o.customer_id AND lines.order_id = o.order_id
    AND (${each((i) => `lines.pass_${i} IS NULL`, " OR ")})`;
}

/** The checks of a line's date: missing, unreadable (or the header again), placeholder, future. */
function dateChecks(options: LinesSqlOptions): string[] {
  const { columns, today } = options;
  const names = [columns.date, ...(options.headerNames ?? [])].map(sqlString);
  const when = (condition: string, reason: SkipReason) =>
    `WHEN ${condition} THEN ${sqlString(reason.text)}`;
  return [
    when("date_text IS NULL", MISSING_DATE),
    // A date cell holding a column's name is the header line again (its columns maybe in another
    // order, which the joined read then refuses), not a bad date.
    `WHEN day IS NULL THEN CASE
      ${when(`list_contains([${names.join(", ")}], date_text)`, REPEATED_HEADER)}
      ELSE ${sqlString(UNREADABLE_DATE.text)} END`,
    when(`day <= DATE ${sqlString(PLACEHOLDER_DATES_UNTIL)}`, PLACEHOLDER_DATE),
    ...(today === undefined
      ? []
      : [when(`day > DATE ${sqlString(latestPurchaseDate(today))}`, dateInTheFuture(today))]),
  ];
}

/**
 * Checks in order (on the typed subquery's columns); the first that fails is the reason. Not
 * `dated`: the line's own date is not looked at (a line dated by its order, dateOnAnotherLineSql).
 */
function reasons(
  options: LinesSqlOptions,
  amount: string,
  filtered: boolean,
  dated = true,
): string[] {
  const { columns } = options;
  const when = (condition: string, reason: SkipReason) =>
    `WHEN ${condition} THEN ${sqlString(reason.text)}`;
  const checks = [
    // A row the filters leave out is not looked at further: its other fields may be anything.
    ...(filtered ? [`WHEN NOT kept_by_filter THEN ${sqlString(LEFT_OUT_BY_FILTER)}`] : []),
    when("customer_id IS NULL", MISSING_CUSTOMER_ID),
    // One pattern for an id of a customer's; which of the three only where one is (noCustomerIdSql).
    `WHEN ${noCustomerIdSql("customer_id")} THEN CASE
      ${when(missingIdWordSql("customer_id"), MISSING_ID_WORD)}
      ${when(totalLineSql("customer_id"), TOTAL_LINE)}
      ELSE ${sqlString(ROUNDED_ID.text)} END`,
    when("contains(customer_id, chr(0))", NUL_IN_ID),
    // Characters are never more than bytes: strlen (stored) spares counting almost every id's.
    when(
      onlyWhere(
        `strlen(customer_id) > ${MAX_CUSTOMER_ID_LENGTH}`,
        `length(customer_id) > ${MAX_CUSTOMER_ID_LENGTH}`,
      ),
      LONG_ID,
    ),
    ...(dated ? dateChecks(options) : []),
  ];
  const numeric = (role: NumericRole, required: boolean) => {
    if (columns[role] === undefined) return;
    if (required) checks.push(when(`NOT ${role}_present`, missingValue(role)));
    checks.push(
      when(
        `${role}_present AND (${role}_value IS NULL OR NOT isfinite(${role}_value))`,
        unreadableValue(role),
      ),
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
  // Beyond MAX_AMOUNT (a trillion in any currency) is a typo or a sentinel, not a purchase; the
  // forecast API refuses such an amount too, so no model is trained on what it cannot be asked.
  checks.push(
    when(`NOT isfinite(${amount}) OR abs(${amount}) > ${MAX_AMOUNT}`, AMOUNT_OUT_OF_RANGE),
  );
  return checks;
}

/**
 * CREATE TABLE lines(customer_id, day, amount, quantity, order_id, reason, is_return, unread_date)
 * straight from the scan; its rowid is the row's position in the source (insertion order is
 * kept). id_as_written: the id as written where it held what no one sees (a tab, a zero-width
 * space), read without it. unread_date: the date as written where no layout read it (what moreDateLayouts samples);
 * unread_amount (quantity, price): the same for a number column read in a sniffed format.
 */
export function linesSql(options: LinesSqlOptions): string {
  const { columns } = options;
  const typed = [
    `${customerIdSql(ID_STEPS.written, options.floatWrittenIds ?? false, options.ignoreIdCase)} AS customer_id`,
    `${idAsWrittenSql(ID_STEPS.text, ID_STEPS.unseen)} AS id_as_written`,
    `${options.dayExpression} AS day`,
    `${columnText(columns.date)} AS date_text`,
    `${columns.order ? columnText(columns.order) : "CAST(NULL AS VARCHAR)"} AS order_id`,
  ];
  // --payment-col (with --amount-per order): which of an order's payments a line carries.
  const payment = columns.payment ? ", payment_id" : "";
  if (columns.payment) typed.push(`${columnText(columns.payment)} AS payment_id`);
  const passes = filterPassSql(options);
  const filtered = passes.length > 0;
  typed.push(...passes.map((p, i) => `${p} AS pass_${i}`));
  if (filtered) typed.push(`${keptSql(columns, (i) => `pass_${i}`)} AS kept_by_filter`);
  // Filtered lines of an order are settled by orderFiltersSql, which needs the passes.
  const byOrder = filtered && columns.order !== undefined;
  const unread = ["CASE WHEN day IS NULL THEN date_text END AS unread_date"];
  for (const role of ["amount", "quantity", "price"] as const) {
    const c = columns[role];
    if (c === undefined) continue;
    const format = options.numberFormats?.[role] ?? "plain";
    typed.push(
      `${number(c, format, options.creditIs)} AS ${role}_value`,
      `${sqlIdentifier(c)} IS NOT NULL AS ${role}_present`,
    );
    // As written where a sniffed format did not read it (what failOnMixedNumberFormats looks at).
    if (format !== "plain") {
      unread.push(`CASE WHEN ${role}_value IS NULL THEN ${role}_text END AS unread_${role}`);
      typed.push(`${columnText(c)} AS ${role}_text`);
    }
  }
  // No amount column at all (LogInput.noAmount): every purchase is worth 0.
  const written =
    columns.price !== undefined
      ? "quantity_value * price_value"
      : columns.amount !== undefined
        ? "amount_value"
        : "0";
  if (options.minorUnits !== undefined) typed.push(`${options.minorUnits} AS minor_units`);
  const amount = options.minorUnits !== undefined ? `(${written} / minor_units)` : written;
  const quantity = columns.quantity ? "coalesce(quantity_value, 0)" : "0";
  const cancelled = options.cancelPattern
    ? `OR regexp_matches(coalesce(order_id, ''), ${sqlString(options.cancelPattern)})`
    : "";
  const marked = markedReturnSql(columns.returnBy, options.returnValues);
  if (marked !== null) typed.push(`${marked} AS marked_return`);
  const reasonSql = (filtered: boolean, dated = true) =>
    `CASE ${reasons(options, amount, filtered, dated).join("\n    ")} END`;
  // Each filter's verdict stays (NULL: its column empty on the line): settled by order with an
  // order column, else looked at by emptyFilterColumns.
  const settledByOrder =
    (byOrder ? `,\n  ${reasonSql(false)} AS reason_unfiltered` : "") +
    // An undated line of an order: what it is but for its date, should the order have one.
    (columns.order !== undefined
      ? `,\n  CASE WHEN date_text IS NULL THEN ${reasonSql(false, false)} END AS reason_undated`
      : "") +
    passes.map((_, i) => `, pass_${i}`).join("");
  return `CREATE OR REPLACE TABLE lines AS
SELECT customer_id, day, ${amount} AS amount, ${quantity} AS quantity, order_id${payment},
  ${reasonSql(filtered)} AS reason,
  (${amount} < 0 OR ${quantity} < 0 ${cancelled} ${marked === null ? "" : "OR marked_return"}) AS is_return${settledByOrder}, id_as_written,
  ${unread.join(",\n  ")}
FROM (SELECT ${typed.join(",\n    ")} FROM ${idStepsSql(columns.customerId, options.from)}) AS typed`;
}

/**
 * The purchase lines (customer_id, day, amount, quantity), dated by their order's first line when
 * there is an order id: a view on lines, or a table when the order window would run twice.
 */
export function purchaseLinesSql(byOrder: boolean): string {
  if (!byOrder) {
    return `CREATE OR REPLACE VIEW purchase_lines AS SELECT customer_id, day, amount, quantity
      FROM lines WHERE reason IS NULL AND NOT is_return`;
  }
  return `CREATE OR REPLACE TABLE purchase_lines AS SELECT customer_id, amount, quantity,
    CASE WHEN order_id IS NULL THEN day
      ELSE min(day) OVER (PARTITION BY customer_id, order_id) END AS day
    FROM lines WHERE reason IS NULL AND NOT is_return`;
}

/** Purchase lines merged per customer and day: what returns are netted against. */
export const PURCHASE_DAYS_SQL = `CREATE OR REPLACE TABLE purchase_days AS
  SELECT customer_id, day, sum(amount) AS amount, sum(quantity) AS quantity
  FROM purchase_lines GROUP BY customer_id, day`;

/**
 * Customers of `from` numbered in id order (deterministic, and about twice as fast on millions of
 * customers as numbering them by first appearance).
 */
export function customersSql(from: string): string {
  return `CREATE OR REPLACE TABLE customers AS SELECT customer_id,
       CAST(row_number() OVER (ORDER BY customer_id) - 1 AS INTEGER) AS k
     FROM (SELECT DISTINCT customer_id FROM ${from}) AS c`;
}

/**
 * Lines without a date whose order has a readable line (Shopify writes `Paid at` on an order's
 * first line only) are dated by their order, as amounts and filter values are taken from it: their
 * reason becomes what it is but for the date (reason_undated), and their day the order's first.
 */
export function dateOnAnotherLineSql(): string {
  return `UPDATE lines SET reason = lines.reason_undated, day = o.day
    FROM (SELECT customer_id, order_id, min(day) AS day FROM lines
          WHERE reason IS NULL AND order_id IS NOT NULL GROUP BY customer_id, order_id) AS o
    WHERE lines.reason = ${sqlString(MISSING_DATE.text)}
      AND lines.customer_id = o.customer_id AND lines.order_id = o.order_id`;
}

/**
 * Lines without an amount whose order has a readable line (its amount written once, on the first
 * line) are parts of that purchase, not bad rows: their reason becomes AMOUNT_ON_ANOTHER_LINE.
 */
export function amountOnAnotherLineSql(): string {
  const missing = sqlString(missingValue("amount").text);
  return `UPDATE lines SET reason = ${sqlString(AMOUNT_ON_ANOTHER_LINE)}
    WHERE reason = ${missing} AND order_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM lines AS o WHERE o.reason IS NULL
        AND o.customer_id = lines.customer_id AND o.order_id = lines.order_id)`;
}

/**
 * Returns matched to a purchase day (by order, else same customer); then subtracted, floor 0. A
 * day its returns cancel in full is then no purchase at all: those naming its orders made by some
 * date, or those made that day, equal its spend (a cancellation: Online Retail's `C…` invoices);
 * returns after that date do not bring it back. Any other return only lowers the spend of the day
 * it is netted against: without an order, which purchase it undoes is a guess, the latest on or
 * before it that is not cancelled.
 * Netted with hindsight, whatever the cutoff: table later_returns keeps what a summary at an
 * earlier one must undo (knownAt).
 * Long (about 100 lines) but only SQL text: the statements in the order they run, each with its
 * reason beside it; split up, that order would be spread over several functions.
 */
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
    `CREATE OR REPLACE TEMP TABLE return_matches AS
     SELECT r.customer_id, r.value, r.quantity, o.day IS NOT NULL AS by_order, r.day AS returned_on,
       coalesce(o.day,
         (SELECT max(p.day) FROM purchase_days AS p
           WHERE p.customer_id = r.customer_id AND p.day <= r.day),
         (SELECT min(p.day) FROM purchase_days AS p WHERE p.customer_id = r.customer_id)) AS day
     FROM (SELECT customer_id, day, abs(amount) AS value, abs(quantity) AS quantity,
             ${original} AS original
           FROM lines WHERE reason IS NULL AND is_return) AS r
     ${orderDay}`,
    // Cancelled in full: returns netted against a day of positive spend equal it (to rounding:
    // the same lines summed in another order) and take back all its items, either those naming
    // its orders by some date or those made that day (a cancellation: Online Retail's `C…`
    // invoices). A return of an earlier purchase made while buying something else rarely equals
    // the new purchase; returns beyond a day's spend contradict it, and it stays a purchase, as a
    // $0 day. With quantities, fewer items returned than bought leave a purchase (a free item kept
    // when the paid line of its invoice was cancelled: Online Retail's $0 lines are purchases).
    // Returns of its orders after the date it was cancelled by do not bring it back: they are
    // beyond the purchases netted against (return_excess), as knownAt sees them at every cutoff.
    // A return of no known order is no part of the sum (it had been: 25 bought and cancelled
    // that day, with a −10 netted there too, stayed a purchase of spend 0).
    `CREATE OR REPLACE TABLE cancelled_days AS
     SELECT p.customer_id, p.day, bool_or(n.same_day) AS same_day, min(n.since) AS since
     FROM purchase_days AS p JOIN (
       SELECT customer_id, day, false AS same_day, returned_on AS since,
         sum(value) OVER by_date AS value, sum(quantity) OVER by_date AS quantity
       FROM return_matches WHERE day IS NOT NULL AND by_order
       WINDOW by_date AS (PARTITION BY customer_id, day ORDER BY returned_on
         RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
       UNION ALL
       SELECT customer_id, day, true, day, sum(value), sum(quantity) FROM return_matches
       WHERE returned_on = day GROUP BY customer_id, day) AS n
       USING (customer_id, day)
     WHERE p.amount > 0 AND abs(n.value - p.amount) <= p.amount * 1e-9
       AND n.quantity >= p.quantity
     GROUP BY p.customer_id, p.day`,
    // A return of no known order that is no part of a day's cancellation is netted against the
    // customer's latest purchase day on or before it that stands (else the first that stands;
    // else it stays, beyond the cancelled day's spend): which purchase it undoes is a guess, and
    // one cancelled in full is the wrong one. Until the day is cancelled (since), the return is
    // netted where the log then read put it (moved_from; known_on: when the day it moved to has it).
    `CREATE OR REPLACE TEMP TABLE standing_days AS
     SELECT customer_id, day FROM purchase_days
       SEMI JOIN (SELECT DISTINCT customer_id FROM cancelled_days) AS c USING (customer_id)
       ANTI JOIN cancelled_days USING (customer_id, day)`,
    `CREATE OR REPLACE TABLE return_targets AS
     SELECT *, CASE WHEN day IS DISTINCT FROM matched THEN matched END AS moved_from,
       CASE WHEN day IS DISTINCT FROM matched THEN greatest(returned_on, since)
         ELSE returned_on END AS known_on
     FROM (SELECT t.customer_id, t.value, t.quantity, t.by_order, t.returned_on,
       t.day AS matched, c.since,
       CASE WHEN c.day IS NULL OR t.by_order OR (c.same_day AND t.returned_on = t.day) THEN t.day
         ELSE coalesce(
           (SELECT max(k.day) FROM standing_days AS k
             WHERE k.customer_id = t.customer_id AND k.day <= t.returned_on),
           (SELECT min(k.day) FROM standing_days AS k WHERE k.customer_id = t.customer_id),
           t.day) END AS day
     FROM return_matches AS t LEFT JOIN cancelled_days AS c USING (customer_id, day))`,
    "DROP TABLE return_matches",
    "DROP TABLE standing_days",
    `CREATE OR REPLACE TABLE return_netting AS
     SELECT customer_id, day, sum(value) AS value, sum(quantity) AS quantity
     FROM return_targets WHERE day IS NOT NULL GROUP BY customer_id, day`,
    // What a day's returns exceed its purchases by is not subtracted (spend is never negative):
    // counted first, so the account can say so.
    `CREATE OR REPLACE TABLE return_excess AS
     SELECT coalesce(sum(greatest(n.value - p.amount, 0)), 0) AS value
     FROM return_netting AS n JOIN purchase_days AS p USING (customer_id, day)`,
    // Netting is done with hindsight: a day that a return made after it was netted into is kept
    // as bought, with all its returns, so that a summary at an earlier cutoff can undo the later
    // ones (LaterReturns). A return moved off a day cancelled after it was made is known on the
    // day it moved to from the cancellation, and on its own day until then.
    `CREATE OR REPLACE TEMP TABLE known_returns AS
     SELECT customer_id, day, known_on, value, quantity, by_order FROM return_targets
     UNION ALL SELECT customer_id, moved_from, returned_on, value, quantity, by_order
     FROM return_targets WHERE moved_from IS NOT NULL AND returned_on < since`,
    `CREATE OR REPLACE TABLE later_returns AS
     SELECT customer_id, day, p.amount AS bought, p.quantity AS items,
       t.known_on AS returned_on, t.value, t.quantity, t.by_order
     FROM known_returns AS t JOIN purchase_days AS p USING (customer_id, day)
       SEMI JOIN (SELECT customer_id, day FROM known_returns WHERE known_on > day) AS l
       USING (customer_id, day)`,
    "DROP TABLE known_returns",
    `UPDATE purchase_days SET amount = greatest(purchase_days.amount - n.value, 0)
     FROM return_netting AS n
     WHERE purchase_days.customer_id = n.customer_id AND purchase_days.day = n.day`,
    `DELETE FROM purchase_days USING cancelled_days AS c
     WHERE purchase_days.customer_id = c.customer_id AND purchase_days.day = c.day`,
  ];
}

/**
 * The rows of `from` handed to JavaScript, ordered: customer number (from table customers, joined
 * by id), day number, spend, quantity; JavaScript then merges the lines of a day in one sequential
 * pass. Joining the million or so distinct ids and sorting integers beats ranking every line by
 * its id string (dense_rank), which sorted all the lines' strings: 4.9 → 3.3 s on 10M lines with
 * short ids, 35 → 9 s on 31M lines with 64-character ids (H&M's layout).
 */
export function purchasesOutSql(from: string): string {
  return `SELECT c.k AS k, CAST(p.day - DATE '1970-01-01' AS INTEGER) AS d,
    CAST(p.amount AS DOUBLE) AS amount, CAST(p.quantity AS DOUBLE) AS quantity
  FROM ${from} AS p JOIN customers AS c ON c.customer_id = p.customer_id
  ORDER BY k, d`;
}

/**
 * CREATE TABLE later_customers: customers of later_returns without a purchase day in the log as
 * read (a later return cancelled every one), numbered after table customers in id order.
 */
export const LATER_CUSTOMERS_SQL = `CREATE OR REPLACE TABLE later_customers AS
  SELECT customer_id, CAST((SELECT count(*) FROM customers)
      + row_number() OVER (ORDER BY customer_id) - 1 AS INTEGER) AS k
  FROM (SELECT DISTINCT customer_id FROM later_returns
        ANTI JOIN customers USING (customer_id)) AS c`;

/**
 * The rows of later_returns handed to JavaScript, ordered by customer number, day and return day:
 * k, d, bought, items, returned_on (day number), value, quantity, by_order.
 */
export const LATER_RETURNS_OUT_SQL = `SELECT c.k AS k,
    CAST(l.day - DATE '1970-01-01' AS INTEGER) AS d, CAST(l.bought AS DOUBLE) AS bought,
    CAST(l.items AS DOUBLE) AS items, CAST(l.returned_on - DATE '1970-01-01' AS INTEGER) AS r,
    CAST(l.value AS DOUBLE) AS value, CAST(l.quantity AS DOUBLE) AS quantity,
    CAST(l.by_order AS INTEGER) AS by_order
  FROM later_returns AS l JOIN (SELECT customer_id, k FROM customers
    UNION ALL SELECT customer_id, k FROM later_customers) AS c USING (customer_id)
  ORDER BY k, d, r`;

/** Rows per batch of customer ids: one string per batch, split in JavaScript. */
const IDS_PER_BATCH = 16_384;

/**
 * Customer ids in number order, IDS_PER_BATCH to a row joined by line feeds (decoding one long
 * string is much faster than millions of short ones); `n` tells whether an id held a line feed.
 */
export const CUSTOMER_ID_BATCHES_SQL = `SELECT k // ${IDS_PER_BATCH} AS batch, count(*) AS n,
  string_agg(customer_id, chr(10) ORDER BY k) AS ids
FROM customers GROUP BY batch ORDER BY batch`;
