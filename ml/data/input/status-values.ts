// Order exports list cancelled, refunded and failed orders beside paid ones in a status column,
// and event logs (Retail Rocket, GA4 exports) list views and add-to-carts beside transactions in
// an event column; read as they are, they count as purchases. When a column named so holds such
// values in the first rows, and no filter is on it, the read names them and the --drop-rows; an
// event column where browsing is most of the rows stops the read (a warning there was easy to miss,
// and a model of views is no model of purchases).
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import type { LogInput } from "./log-input.ts";
import { sampleValues, shellArgument } from "./sample-values.ts";
import { sqlString } from "./sql-text.ts";

/**
 * Status, order_status, Financial Status, payment_state, Amazon's order-status, an API's
 * orderStatus, …
 */
const STATUS_COLUMN = {
  test: (c: string) => /(^|[ _.-])(status|state)$/i.test(c) || /[a-z](Status|State)$/.test(c),
};
/**
 * Values that say an order was no sale: also PayPal's Reversed and Denied, BigCommerce's
 * Incomplete (a checkout left unfinished), an authorisation expired. A partial refund or return
 * (Shopify's partially_refunded) was a sale.
 */
const NOT_A_SALE =
  "(?i)(cancel|refund|fail|void|declin|return|abandon|reject|chargeback|fraud|revers|denied|incomplete|expired)";
const PARTIAL = "(?i)partial";
/** event, event_type, eventName, action, activity_type, … */
const EVENT_COLUMN = /(^|[ _])(event|action|activity)([ _]?(type|name))?$/i;
/** Browsing, not buying: view, page_view, addtocart, add_to_cart, click, search, wishlist, … */
const NOT_A_PURCHASE = "(?i)(view|cart|click|impression|search|wishlist|session|login|sign_?up)";

/** PayPal's activity download, Stripe's balance history: the kind of each money movement. */
const TYPE_COLUMN = /^(transaction[ _-]?)?type$/i;
/**
 * Movements that are no customer's purchase: PayPal's "Hold on Balance for Dispute Investigation"
 * (−) and its "Cancellation of Hold" (+, which was read as a second purchase), withdrawals,
 * payouts, transfers and currency conversions.
 */
const NOT_A_PAYMENT = "(?i)(hold|withdraw|payout|transfer|conversion)";

/** Which columns are looked at, and which of their values say no sale. */
const KINDS = [
  {
    column: STATUS_COLUMN,
    where: `regexp_matches(value, ${sqlString(NOT_A_SALE)}) AND NOT regexp_matches(value, ${sqlString(PARTIAL)})`,
  },
  {
    column: EVENT_COLUMN,
    where: `regexp_matches(value, ${sqlString(NOT_A_PURCHASE)})`,
    stopWhenMost: true,
  },
  { column: TYPE_COLUMN, where: `regexp_matches(value, ${sqlString(NOT_A_PAYMENT)})` },
];
/** Values listed per column. */
const LISTED = 8;

export interface NotSales {
  column: string;
  sampled_rows: number;
  /** The values that say no sale, the most frequent first. */
  values: Array<{ value: string; rows: number }>;
}

/** Per status column without a filter on it: its values that say no sale, when it holds any. */
export async function notSales(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns">,
): Promise<NotSales[]> {
  const { keepBy, dropBy } = input.columns;
  const found: NotSales[] = [];
  for (const column of types.keys()) {
    const kind = KINDS.find((k) => k.column.test(column.trim()));
    if (!kind || column === keepBy || column === dropBy) continue;
    const odd = await sampleValues(connection, peek, column, LISTED, kind.where);
    if ("stopWhenMost" in kind && browsedMostly(odd.values, odd.sampled)) {
      const others = await sampleValues(connection, peek, column, LISTED, `NOT (${kind.where})`);
      throw eventLogError({ column, sampled_rows: odd.sampled, values: odd.values }, others.values);
    }
    if (odd.values.length > 0) {
      found.push({ column, sampled_rows: odd.sampled, values: odd.values });
    }
  }
  return found;
}

const rowsText = (rows: number) => `${rows.toLocaleString("en-US")} row${rows === 1 ? "" : "s"}`;

/** Browsing values holding at least half of the sampled rows. */
function browsedMostly(values: ReadonlyArray<{ rows: number }>, sampled: number): boolean {
  return sampled > 0 && 2 * values.reduce((sum, v) => sum + v.rows, 0) >= sampled;
}

/** The stop for an event log read as purchases, naming the --keep-rows that reads its purchases. */
function eventLogError(s: NotSales, others: ReadonlyArray<{ value: string }>): InputError {
  const n = (v: number) => v.toLocaleString("en-US");
  const browsing = s.values.reduce((sum, v) => sum + v.rows, 0);
  const listed = s.values.map((v) => `${v.value} (${rowsText(v.rows)})`).join(", ");
  const drop = shellArgument(`${s.column}=${s.values.map((v) => v.value).join(",")}`);
  const keep = shellArgument(`${s.column}=${others.map((v) => v.value).join(",")}`);
  const all = shellArgument(
    `${s.column}=${[...s.values, ...others].map((v) => v.value).join(",")}`,
  );
  const problem =
    `column "${s.column}" holds ${listed}: ${n(browsing)} of its first ${n(s.sampled_rows)} ` +
    "values are browsing, not buying, and every one would be read as a purchase";
  const hint =
    others.length > 0
      ? `pass --keep-rows ${keep} to read only the purchases (or --drop-rows ${drop}); ` +
        `to read every row as a purchase, pass --keep-rows ${all}`
      : "it holds no other event there: pass the log of orders or transactions instead";
  return new InputError(s.column, problem, { hint });
}

/** The CLI's and report's warning for one column. */
export function notSalesWarning(s: NotSales): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const listed = s.values.map((v) => `${v.value} (${rowsText(v.rows)})`).join(", ");
  const drop = shellArgument(`${s.column}=${s.values.map((v) => v.value).join(",")}`);
  return (
    `WARNING: column "${s.column}" holds ${listed} among its first ${n(s.sampled_rows)} values: ` +
    `they are read as purchases; pass --drop-rows ${drop} if they are not sales`
  );
}
