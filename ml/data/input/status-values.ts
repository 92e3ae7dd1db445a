// Order exports list cancelled, refunded and failed orders beside paid ones in a status column,
// and event logs (Retail Rocket, GA4 exports) list views and add-to-carts beside transactions in
// an event column; read as they are, they count as purchases. When a column named so holds such
// values in the first rows, and no filter is on it, the read names them and the --drop-rows; an
// event column where browsing is most of the rows stops the read (a warning there was easy to miss,
// and a model of views is no model of purchases). Test orders (a test flag) are named the same way.
import type { DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "./input-error.ts";
import type { LogInput } from "./log-input.ts";
import { SAMPLE_ROWS, sampleValues, shellArgument } from "./sample-values.ts";
import { columnText, sqlString } from "./sql-text.ts";

/**
 * Status, order_status, Financial Status, payment_state, Amazon's order-status, an API's
 * orderStatus, …
 */
const STATUS_COLUMN = {
  test: (c: string) => /(^|[ _.-])(status|state)$/i.test(c) || /[a-z](Status|State)$/.test(c),
};
/**
 * Values that say an order was no sale: also PayPal's Reversed and Denied, BigCommerce's
 * Incomplete (a checkout left unfinished), an authorisation expired, Olist's unavailable (the
 * product was not there: never delivered nor paid out). A partial refund or return
 * (Shopify's partially_refunded) was a sale.
 */
const NOT_A_SALE =
  "(?i)(cancel|refund|fail|void|declin|return|abandon|reject|chargeback|fraud|revers|denied|incomplete|expired|unavailable)";
const PARTIAL = "(?i)partial";
/** event, event_type, eventName, action, activity_type, … */
const EVENT_COLUMN = /(^|[ _])(event|action|activity)([ _]?(type|name))?$/i;
/**
 * Browsing, not buying: view, page_view, addtocart, add_to_cart, click, search, wishlist, … and
 * GA4's other automatic and recommended events (user_engagement, scroll, first_visit,
 * begin_checkout, select_item, add_payment_info, generate_lead, …) and Shopify's web pixel's
 * checkout_started. Not "checkout" alone: the pixel's purchase is checkout_completed.
 */
const NOT_A_PURCHASE =
  "(?i)(view|cart|click|impression|search|wishlist|session|login|sign_?up|engagement|scroll|" +
  "first_visit|first_open|begin_checkout|checkout_started|select_(item|promotion|content)|" +
  "payment_info|shipping_info|generate_lead|file_download|video_(start|progress|complete)|" +
  "form_(start|submit)|notification_)";

/** PayPal's activity download, Stripe's balance history: the kind of each money movement. */
const TYPE_COLUMN = /^(transaction[ _-]?)?type$/i;
/**
 * Movements that are no customer's purchase: PayPal's "Hold on Balance for Dispute Investigation"
 * (−) and its "Cancellation of Hold" (+, which was read as a second purchase), withdrawals,
 * payouts, transfers and currency conversions.
 */
const NOT_A_PAYMENT = "(?i)(hold|withdraw|payout|transfer|conversion)";

/**
 * type, Type, kind, line_type, record_type, transactionType, …: a point-of-sale export's Sale and
 * Return rows, both with positive amounts (the kind says which). PayPal's and Stripe's
 * (TYPE_COLUMN) are looked at for their own values first.
 */
const KIND_COLUMN = {
  test: (c: string) => /(^|[ _.-])(type|kind)$/i.test(c) || /[a-z](Type|Kind)$/.test(c),
};
/** Kinds of row that take a sale back: returned, refund, cancellation, void, credit note. */
const TAKES_BACK = "(?i)(return|refund|cancel|void|chargeback|credit[ _-]?note)";
/** Text of a number written negative: -5, (5), 5-, −5. */
const NEGATIVE_TEXT = "^\\s*[-(\u2212]|-\\s*$";

/** Shopify's API `test` (and exports after it: Test, is_test, test_order): true on a test order. */
const TEST_COLUMN = /^(is[ _]?)?test([ _]?order)?$/i;
const TRUE_TEXT = "(?i)^(true|t|yes|y|1)$";
/** Stripe's `livemode`: false on an object made with a test key. */
const LIVEMODE_COLUMN = /^live[ _]?mode$/i;
const FALSE_TEXT = "(?i)^(false|f|no|n|0)$";

/** Which columns are looked at, and which of their values say no sale. */
const KINDS = [
  {
    column: STATUS_COLUMN,
    where: `regexp_matches(value, ${sqlString(NOT_A_SALE)}) AND NOT regexp_matches(value, ${sqlString(PARTIAL)})`,
    // A refund row written negative (WooCommerce's) is read as a return already: dropping it, as
    // the warning would say, left its order in as a full purchase.
    positiveOnly: true,
  },
  {
    column: EVENT_COLUMN,
    where: `regexp_matches(value, ${sqlString(NOT_A_PURCHASE)})`,
    stopWhenMost: true,
  },
  { column: TYPE_COLUMN, where: `regexp_matches(value, ${sqlString(NOT_A_PAYMENT)})` },
  { column: TEST_COLUMN, where: `regexp_matches(value, ${sqlString(TRUE_TEXT)})` },
  { column: LIVEMODE_COLUMN, where: `regexp_matches(value, ${sqlString(FALSE_TEXT)})` },
  {
    column: KIND_COLUMN,
    where: `regexp_matches(value, ${sqlString(TAKES_BACK)})`,
    // A negative amount is read as a return already: only the rows written positive are named.
    positiveOnly: true,
    takesBack: true,
  },
];
/** Values listed per column. */
const LISTED = 8;
/** Browsing values counted for the stop (GA4 logs a dozen names or more): all, in practice. */
const BROWSING_COUNTED = 1000;

/** A column whose values may say no sale (a status, an event, a movement's type or kind). */
export const isNotSalesColumn = (name: string) => KINDS.some((k) => k.column.test(name.trim()));

export interface NotSales {
  column: string;
  sampled_rows: number;
  /** The values that say no sale, the most frequent first. */
  values: Array<{ value: string; rows: number }>;
  /** The values --drop-rows already leaves out of this column (the warning adds to them). */
  dropped?: string[];
  /** Of `values`, those of a kind that takes a sale back (a return): what --return-rows nets. */
  returns?: string[];
  /**
   * Of a status column's `values` that take a sale back, those whose rows mostly repeat a sale of
   * their customer (the same order, else the same amount): refunds written beside their sale.
   */
  beside_sales?: BesideSales;
}

interface BesideSales {
  values: string[];
  /** Their rows (written positive) that repeat a sale, of all their rows in the sample. */
  rows: number;
  of: number;
  by: "order" | "amount";
}

/** Per status column without a filter on it: its values that say no sale, when it holds any. */
export async function notSales(
  connection: DuckDBConnection,
  peek: string,
  types: Map<string, string>,
  input: Pick<LogInput, "columns" | "dropValues" | "returnValues">,
): Promise<NotSales[]> {
  const found: NotSales[] = [];
  for (const column of types.keys()) {
    if (column === input.columns.keepBy) continue;
    // Filtered by --drop-rows: the values it leaves that still say no sale (`Canceled` beside a
    // `--drop-rows status=canceled`: the filter matches exactly, and the warning was off).
    const dropped = column === input.columns.dropBy ? (input.dropValues ?? []) : [];
    // Rows --return-rows reads as returns are no purchases either: not named again.
    const marked = column === input.columns.returnBy ? (input.returnValues ?? []) : [];
    // A column may be of two kinds (PayPal's "Type": its holds, and a POS export's returns).
    const values: NotSales["values"] = [];
    const returns: string[] = [];
    let sampled = 0;
    for (const kind of KINDS.filter((k) => k.column.test(column.trim()))) {
      const odd = await sampleKind(connection, peek, column, kind, input.columns, [
        ...dropped,
        ...marked,
      ]);
      sampled = Math.max(sampled, odd.sampled);
      for (const v of odd.values) if (!values.some((w) => w.value === v.value)) values.push(v);
      if ("takesBack" in kind) returns.push(...odd.values.map((v) => v.value));
    }
    if (values.length === 0) continue;
    values.sort((a, b) => b.rows - a.rows || (a.value < b.value ? -1 : 1));
    const listed = values.slice(0, LISTED);
    const beside = STATUS_COLUMN.test(column.trim())
      ? await refundsBesideSales(connection, peek, column, listed, input.columns)
      : null;
    const also = {
      ...(beside ? { beside_sales: beside } : {}),
      ...(dropped.length > 0 ? { dropped } : {}),
      ...(returns.length > 0
        ? { returns: returns.filter((r) => listed.some((v) => v.value === r)) }
        : {}),
    };
    found.push({ column, sampled_rows: sampled, values: listed, ...also });
  }
  return found;
}

/** One kind's values of a column that say no sale (an event log of browsing stops the read). */
async function sampleKind(
  connection: DuckDBConnection,
  peek: string,
  column: string,
  kind: (typeof KINDS)[number],
  columns: LogInput["columns"],
  dropped: readonly string[],
) {
  const left =
    dropped.length > 0
      ? ` AND value NOT IN (${dropped.map((v) => sqlString(v.trim())).join(", ")})`
      : "";
  const signed = "positiveOnly" in kind ? notNegative(columns) : "true";
  // Browsing is judged on every such value's rows, not only the listed ones' (8 of GA4's names
  // held under half of its rows).
  const limit = "stopWhenMost" in kind ? BROWSING_COUNTED : LISTED;
  const odd = await sampleValues(connection, peek, column, limit, kind.where + left, signed);
  if ("stopWhenMost" in kind && browsedMostly(odd.values, odd.sampled)) {
    const others = await sampleValues(connection, peek, column, LISTED, `NOT (${kind.where})`);
    throw eventLogError({ column, sampled_rows: odd.sampled, values: odd.values }, others.values);
  }
  return odd;
}

/** Status values of a kind that takes a sale back, which may be a refund's own row. */
const TAKES_BACK_JS = new RegExp(TAKES_BACK.replace("(?i)", ""), "i");

/**
 * The status values that take a sale back whose rows, written positive, mostly repeat a sale of
 * their customer: the same order (--order-col), else the same amount (as a number where it is
 * one). Such a row is a refund written beside its sale, which --drop-rows would leave in.
 */
async function refundsBesideSales(
  connection: DuckDBConnection,
  peek: string,
  column: string,
  listed: NotSales["values"],
  columns: LogInput["columns"],
): Promise<BesideSales | null> {
  const values = listed.map((v) => v.value).filter((v) => TAKES_BACK_JS.test(v));
  const number = (c: string) =>
    `coalesce(CAST(TRY_CAST(${columnText(c)} AS DOUBLE) AS VARCHAR), ${columnText(c)})`;
  const by = columns.order ? "order" : "amount";
  const parts = columns.order
    ? [columnText(columns.order)]
    : [columns.amount, columns.quantity, columns.price].flatMap((c) => (c ? [number(c)] : []));
  if (values.length === 0 || parts.length === 0) return null;
  const reader = await connection.runAndReadAll(
    `WITH s AS (SELECT ${columnText(columns.customerId)} AS cust, concat_ws('|', ${parts.join(", ")}) AS k,
       ${columnText(column)} AS st, coalesce(${notNegative(columns)}, false) AS pos
       FROM ${peek} LIMIT ${SAMPLE_ROWS})
     SELECT r.st AS value, count(*) AS n, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM s AS sale
       WHERE sale.cust = r.cust AND sale.k = r.k
         AND NOT coalesce(regexp_matches(sale.st, ${sqlString(NOT_A_SALE)}), false))) AS beside
     FROM s AS r WHERE r.pos AND list_contains([${values.map(sqlString).join(", ")}], r.st)
     GROUP BY r.st ORDER BY r.st`,
  );
  const counts = reader.getRowObjectsJS() as Array<{ value: string; n: bigint; beside: bigint }>;
  // Each value by its own rows: a "voided" order beside refunds of sales is still no sale.
  const mostly = counts.filter((c) => 2 * Number(c.beside) > Number(c.n));
  if (mostly.length === 0) return null;
  const sum = (f: (c: (typeof counts)[number]) => bigint) =>
    mostly.reduce((total, c) => total + Number(f(c)), 0);
  const besideValues = values.filter((v) => mostly.some((c) => c.value === v));
  return { values: besideValues, rows: sum((c) => c.beside), of: sum((c) => c.n), by };
}

/** SQL on a row: its amount (or quantity) is not written negative. */
function notNegative(columns: LogInput["columns"]): string {
  const signed = [columns.amount, columns.quantity].filter((c): c is string => c !== undefined);
  if (signed.length === 0) return "true";
  const negative = (c: string) =>
    `coalesce(regexp_matches(${columnText(c)}, ${sqlString(NEGATIVE_TEXT)}), false)`;
  return signed.map((c) => `NOT ${negative(c)}`).join(" AND ");
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
  const more = s.values.length - LISTED;
  const listed =
    s.values
      .slice(0, LISTED)
      .map((v) => `${v.value} (${rowsText(v.rows)})`)
      .join(", ") + (more > 0 ? ` and ${more} more` : "");
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
  const besides = s.dropped
    ? ` besides those --drop-rows leaves out (${s.dropped.join(", ")})`
    : "";
  return (
    `WARNING: column "${s.column}" holds ${listed} among its first ${n(s.sampled_rows)} values${besides}: ` +
    `they are read as purchases; ${notSalesHint(s)}`
  );
}

/** The options to pass: --drop-rows for no sales, and --return-rows for returns written positive. */
function notSalesHint(s: NotSales): string {
  const dropOf = (values: string[]) =>
    `--drop-rows ${shellArgument(`${s.column}=${[...(s.dropped ?? []), ...values].join(",")}`)}`;
  const all = s.values.map((v) => v.value);
  if (s.beside_sales) return besideSalesHint(s, s.beside_sales, dropOf, all);
  const returns = s.returns ?? [];
  if (returns.length === 0) return `pass ${dropOf(all)} if they are not sales`;
  const net = `pass --return-rows ${shellArgument(`${s.column}=${returns.join(",")}`)} to subtract them from spend as returns`;
  const others = all.filter((v) => !returns.includes(v));
  return others.length > 0
    ? `${net}, and ${dropOf(others)} if those others are not sales`
    : `${net}, or ${dropOf(returns)} to leave them out`;
}

/** Refund rows beside their sale: --return-rows nets them; --drop-rows is for orders never sold. */
function besideSalesHint(
  s: NotSales,
  beside: BesideSales,
  dropOf: (values: string[]) => string,
  all: string[],
): string {
  const one = beside.values.length === 1;
  const others = all.filter((v) => !beside.values.includes(v));
  const orderHint =
    beside.by === "order" ? "" : " (with --order-col naming the order id, each from its own order)";
  return (
    `${beside.values.join(", ")} ${one ? "repeats" : "repeat"} a sale of ${one ? "its" : "their"} ` +
    `customer (the same ${beside.by}) on ${beside.rows} of ${beside.of} rows: if these are refunds ` +
    `written beside their sale, pass --return-rows ${shellArgument(`${s.column}=${beside.values.join(",")}`)} ` +
    `to subtract them from spend${orderHint}` +
    (others.length > 0 ? `, and ${dropOf(others)} if those others are not sales` : "") +
    `; if they are orders that were no sale, pass ${dropOf(all)}`
  );
}
