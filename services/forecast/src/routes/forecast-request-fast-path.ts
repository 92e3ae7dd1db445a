// The common POST /forecast body checked without zod: a horizon, an optional discount rate and
// as-of date, and customers by id, by summary or by transactions (zod took ~10 µs of a
// single-customer request, a third of its handling, and ~470 ms of a request with 200,000
// transactions). Anything else (any doubt) returns undefined and goes through
// forecastRequestSchema, which decides and names the errors. What this accepts, the schema accepts
// with the same output, key order included (checked against it on random bodies in the tests).
import { isIsoDate } from "@pp/shared/calendar/iso-date.ts";
import {
  isCalendarDate,
  latestPurchaseDate,
  MAX_AMOUNT,
  MAX_SUMMARY_TIME,
  PLACEHOLDER_DATES_UNTIL,
  TIMESTAMP,
} from "@pp/shared/contracts/forecast-request.ts";
import {
  type ForecastRequest,
  MAX_CUSTOMERS,
  MAX_HORIZON_DAYS,
  MAX_TRANSACTIONS_PER_CUSTOMER,
  type SummaryRequest,
} from "./forecast-schemas.ts";

type Plain = Record<string, unknown>;

const isPlain = (v: unknown): v is Plain =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** True when every own key of `o` is one of `allowed`; counts them into `seen`. */
function onlyKeys(o: Plain, allowed: readonly string[]): number {
  let count = 0;
  for (const key in o) {
    if (!Object.hasOwn(o, key) || !allowed.includes(key)) return -1;
    count++;
  }
  return count;
}

const TOP_KEYS = ["horizon", "discount_rate", "as_of", "customers"] as const;
const HORIZON_KEYS = ["value", "unit"] as const;
const CUSTOMER_KEYS = ["id", "summary", "transactions"] as const;
const SUMMARY_KEYS = ["frequency", "recency", "T", "monetary"] as const;
const TRANSACTION_KEYS = ["at", "amount", "quantity"] as const;
type Transaction = NonNullable<ForecastRequest["customers"][number]["transactions"]>[number];

/** A number in [0, max] (JSON.parse can yield Infinity, never NaN). */
const inRange = (v: unknown, max: number): v is number =>
  typeof v === "number" && v >= 0 && v <= max;

/** summarySchema's output for a summary it accepts, else undefined (then the schema decides). */
function summaryFastPath(s: unknown): SummaryRequest | undefined {
  if (!isPlain(s) || onlyKeys(s, SUMMARY_KEYS) < 0) return undefined;
  const { frequency, recency, T } = s;
  if (!inRange(frequency, MAX_SUMMARY_TIME) || !Number.isInteger(frequency)) return undefined;
  if (!inRange(recency, MAX_SUMMARY_TIME) || !inRange(T, MAX_SUMMARY_TIME)) return undefined;
  if (!(recency <= T) || !(frequency > 0 || recency === 0)) return undefined;
  if (!Object.hasOwn(s, "monetary")) return { frequency, recency, T };
  const monetary = s.monetary;
  return inRange(monetary, MAX_AMOUNT) ? { frequency, recency, T, monetary } : undefined;
}

/** transactionSchema's output for a transaction it accepts, else undefined. */
function transactionFastPath(t: unknown, latest: string): Transaction | undefined {
  if (!isPlain(t) || onlyKeys(t, TRANSACTION_KEYS) < 0) return undefined;
  const { at, amount } = t;
  if (typeof at !== "string" || !TIMESTAMP.test(at) || !isCalendarDate(at)) return undefined;
  const day = at.slice(0, 10);
  if (!(day <= latest) || !(day > PLACEHOLDER_DATES_UNTIL)) return undefined;
  if (!inRange(amount, MAX_AMOUNT)) return undefined;
  if (!Object.hasOwn(t, "quantity")) return { at, amount };
  const quantity = t.quantity;
  return inRange(quantity, MAX_AMOUNT) ? { at, amount, quantity } : undefined;
}

/** A customer's transactions as the schema outputs them, else undefined. */
function transactionsFastPath(list: unknown, latest: string): Transaction[] | undefined {
  if (!Array.isArray(list) || list.length < 1) return undefined;
  if (list.length > MAX_TRANSACTIONS_PER_CUSTOMER) return undefined;
  const out: Transaction[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const t = transactionFastPath(list[i], latest);
    if (t === undefined) return undefined;
    out[i] = t;
  }
  return out;
}

export function forecastRequestFastPath(value: unknown): ForecastRequest | undefined {
  if (!isPlain(value) || onlyKeys(value, TOP_KEYS) < 0) return undefined;
  const h = value.horizon;
  if (!isPlain(h) || onlyKeys(h, HORIZON_KEYS) !== 2) return undefined;
  const hv = h.value;
  const unit = h.unit;
  if (typeof hv !== "number" || !Number.isFinite(hv) || !(hv > 0)) return undefined;
  if (unit !== "day" && unit !== "week") return undefined;
  if (!(hv * (unit === "week" ? 7 : 1) <= MAX_HORIZON_DAYS)) return undefined;
  let rate = 0;
  if (Object.hasOwn(value, "discount_rate")) {
    const d = value.discount_rate;
    if (typeof d !== "number" || !Number.isFinite(d) || !(d >= 0) || !(d <= 10)) return undefined;
    rate = d;
  }
  const latest = latestPurchaseDate(); // once per request, not per transaction
  let asOf: string | undefined;
  if (Object.hasOwn(value, "as_of")) {
    const a = value.as_of;
    if (typeof a !== "string" || !isIsoDate(a)) return undefined;
    if (!(a > PLACEHOLDER_DATES_UNTIL)) return undefined;
    asOf = a;
  }
  const list = value.customers;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_CUSTOMERS) return undefined;
  const customers: ForecastRequest["customers"] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i];
    if (!isPlain(c)) return undefined;
    const keys = onlyKeys(c, CUSTOMER_KEYS);
    const id = c.id;
    if (keys < 1 || typeof id !== "string" || id.length < 1 || id.length > 256) return undefined;
    if (keys === 1) {
      customers[i] = { id };
      continue;
    }
    if (keys !== 2) return undefined; // summary and transactions: the schema names the problem
    if (Object.hasOwn(c, "transactions")) {
      const transactions = transactionsFastPath(c.transactions, latest);
      if (transactions === undefined) return undefined;
      customers[i] = { id, transactions };
      continue;
    }
    const summary = summaryFastPath(c.summary);
    if (summary === undefined) return undefined;
    customers[i] = { id, summary };
  }
  const horizon = { value: hv, unit } as const;
  if (asOf === undefined) return { horizon, discount_rate: rate, customers };
  return { horizon, discount_rate: rate, as_of: asOf, customers };
}
