// The common POST /forecast body checked without zod: a horizon, an optional discount rate and
// customers by id or by summary (zod took ~10 µs of a single-customer request, a third of its
// handling). Anything else (transactions, as_of, any doubt) returns undefined and goes through
// forecastRequestSchema, which decides and names the errors. What this accepts, the schema accepts
// with the same output, key order included (checked against it on random bodies in the tests).
import { MAX_AMOUNT, MAX_SUMMARY_TIME } from "@pp/shared/contracts/forecast-request.ts";
import {
  type ForecastRequest,
  MAX_CUSTOMERS,
  MAX_HORIZON_DAYS,
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

const TOP_KEYS = ["horizon", "discount_rate", "customers"] as const;
const HORIZON_KEYS = ["value", "unit"] as const;
const CUSTOMER_KEYS = ["id", "summary"] as const;
const SUMMARY_KEYS = ["frequency", "recency", "T", "monetary"] as const;

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
    const summary = summaryFastPath(c.summary);
    if (summary === undefined) return undefined;
    customers[i] = { id, summary };
  }
  return { horizon: { value: hv, unit }, discount_rate: rate, customers };
}
