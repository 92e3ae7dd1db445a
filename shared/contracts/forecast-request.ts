// The customer and horizon of a forecast request, shared by the forecast service (POST
// /forecast) and the decision service (which forwards them): one definition, so decision never
// accepts what forecast would refuse.
import * as z from "zod";
import { isCalendarDate } from "../calendar/iso-date.ts";
import { typeError } from "../errors/null-fields.ts";

export { isCalendarDate };

export const MAX_TRANSACTIONS_PER_CUSTOMER = 100_000;
/** Five years: CLV discounts week by week, so the cost grows with the horizon. */
export const MAX_HORIZON_DAYS = 1826;
/** Longest customer id: an email address is at most 254 characters; the ml readers skip longer. */
export const MAX_CUSTOMER_ID_LENGTH = 256;

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * A customer id in Unicode's composed form (NFC), as the ml readers store ids: macOS writes
 * "José" decomposed (e + U+0301), and read as written one customer was two (80 → 107 customers
 * in a file of names, a quarter of its lines decomposed). Only ids with a non-ASCII character are
 * normalised (an ASCII id is its own NFC); a lone surrogate is kept as it is.
 */
export function nfcCustomerId(id: string): string {
  return NON_ASCII.test(id) ? id.normalize("NFC") : id;
}

/**
 * The spellings of one customer id to erase: as given, in NFC (as the log readers store ids) and
 * in NFD (as /decision logs an id sent decomposed, as macOS writes it); a whole number also as
 * float exports write it (17850.0, 17850,0: the readers store 17850, /forecast finds it for
 * either, and /decision logs the id as sent). Any other ASCII id is itself.
 */
export function customerIdSpellings(id: string): string[] {
  if (NON_ASCII.test(id)) return [...new Set([id, id.normalize("NFC"), id.normalize("NFD")])];
  const whole = wholeNumberCustomerId(id);
  if (!WHOLE_NUMBER.test(whole)) return [id];
  return [...new Set([id, whole, ...FLOAT_FRACTIONS.map((zero) => whole + zero)])];
}

const WHOLE_NUMBER = /^-?[0-9]+$/;
/** The zero fractions float exports write (pandas' .0, two decimals, a decimal comma). */
const FLOAT_FRACTIONS = [".0", ".00", ",0", ",00"];

/**
 * A whole number written with a zero fraction, as a float export writes an id: 17850.0, -3.00,
 * and with a decimal comma 17850,0 or 17850,00 (a comma before three digits is a thousands
 * grouping, 12,000, not a fraction). The ml readers store such ids as the whole number.
 */
export const FLOAT_WRITTEN_ID = "^(-?[0-9]+)(\\.0+|,00?)$";
const FLOAT_WRITTEN_ID_RE = new RegExp(FLOAT_WRITTEN_ID);

/** Whether an id is written as a float export writes a whole number (17850.0, 17850,0). */
export function isFloatWrittenId(id: string): boolean {
  return FLOAT_WRITTEN_ID_RE.test(id);
}

/** An id without a float export's zero fraction (17850.0 → 17850); any other id as it is. */
export function wholeNumberCustomerId(id: string): string {
  return id.replace(FLOAT_WRITTEN_ID_RE, "$1");
}

/** Letters whose lower case differs between JavaScript's toLowerCase and the reader's lower(). */
const CASE_SPECIAL = /[\u0130\u03a3]/;

/**
 * A customer id lower-cased as the ml readers lower-case it with --ignore-id-case (DuckDB's
 * lower(): one character at a time): "İ" is "i" and every "Σ" is "σ", where toLowerCase gives
 * "i̇" (i + U+0307) and a word-final "ς". With toLowerCase, /forecast and ml forget missed
 * "İSTANBUL@x.tr" and "ΟΔΥΣΣΕΥΣ@x.gr", the ids exactly as the log wrote them.
 */
export function lowerCaseCustomerId(id: string): string {
  if (!CASE_SPECIAL.test(id)) return id.toLowerCase();
  let lowered = "";
  for (const ch of id) lowered += ch === "\u0130" ? "i" : ch.toLowerCase();
  return lowered;
}

export const isoDate = z
  .string({ error: typeError("a date string YYYY-MM-DD") })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "must be a date YYYY-MM-DD" })
  .refine(isCalendarDate, { error: "is not a valid calendar date" });

/**
 * Purchases are dated after this day. On or before it a date stands in for a missing one (Unix
 * time 0; a spreadsheet's day 0 is 1899-12-30), and kept it would make its customer a century
 * old. The ml readers skip such rows and /forecast refuses them: one bound for both.
 */
export const PLACEHOLDER_DATES_UNTIL = "1970-01-01";

/**
 * The last day a purchase can be on: the day after `today` (YYYY-MM-DD; default the clock's, in
 * UTC), so that every time zone's today is accepted. Later is a typo (2091 for 2019).
 */
export function latestPurchaseDate(today?: string): string {
  if (today === undefined) return latestPurchaseDateNow();
  return new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** latestPurchaseDate() for the clock's day, formatted once a day (it is asked per transaction). */
let latestForDay = { day: Number.NaN, date: "" };
function latestPurchaseDateNow(): string {
  const day = Math.floor(Date.now() / 86_400_000);
  if (day !== latestForDay.day) {
    latestForDay = { day, date: new Date((day + 1) * 86_400_000).toISOString().slice(0, 10) };
  }
  return latestForDay.date;
}

/**
 * A transaction's time: `YYYY-MM-DD`, or a timestamp `YYYY-MM-DD[T ]HH:MM[:SS[.fff]]` with an
 * optional zone (`Z`, `±HH:MM`, `±HHMM`). As in the ml CLI's readers, the date is taken as written
 * (the shop's calendar day) and the time and zone are not used: purchases are counted per day.
 */
export const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})(?:[T ]([01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$/;

export const transactionTime = z
  .string()
  // Each check stops the others: a time in another layout (03/01/2023) compared as ISO text was
  // also called a placeholder date, or a future one.
  .regex(TIMESTAMP, {
    error: "must be a date YYYY-MM-DD or a timestamp YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]",
    abort: true,
  })
  .refine(isCalendarDate, { error: "is not a valid calendar date", abort: true })
  // A purchase cannot be in the future: 2091 for 2019 is a typo, and taken as the as-of date it
  // would summarise the customer 70 years on.
  .refine((s) => s.slice(0, 10) <= latestPurchaseDate(), {
    error: "is more than a day after today: a purchase cannot be in the future",
  })
  .refine((s) => s.slice(0, 10) > PLACEHOLDER_DATES_UNTIL, {
    error: `is on or before ${PLACEHOLDER_DATES_UNTIL}: a placeholder for a missing date, not a purchase`,
  });

/**
 * A cutoff (`as_of`): after the first day a purchase can have (before the year 100 the day
 * arithmetic failed, a 500). A later one than today is a question about the future (how the
 * customer looks if nothing is bought until then), so it stays allowed.
 */
export const asOfDate = isoDate.refine((s) => s > PLACEHOLDER_DATES_UNTIL, {
  error: `is on or before ${PLACEHOLDER_DATES_UNTIL}: before any purchase the log can hold`,
});

/** Bounds far beyond any real customer (a million weeks is ~19,000 years): past them the
 * formulas overflow, and a 400 naming the field beats figures that cannot be computed. */
export const MAX_SUMMARY_TIME = 1_000_000;
export const MAX_AMOUNT = 1e12;

/** `optional`: the type error of null says to leave the field out (null-fields.ts). */
const nonNegative = (what: string, max: number, { optional = false } = {}) =>
  z
    .number({
      error: optional
        ? typeError(`a finite number (${what})`)
        : `must be a finite number (${what})`,
    })
    .min(0, { error: "must be >= 0" })
    .max(max, { error: `must be <= ${max} (${what})` });

export const summarySchema = z
  .strictObject({
    frequency: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number of repeat purchases" })
      .min(0, { error: "must be >= 0" })
      .max(MAX_SUMMARY_TIME, { error: `must be <= ${MAX_SUMMARY_TIME}` })
      .describe("Repeat purchases (purchase days after the first), x."),
    recency: nonNegative("model time units", MAX_SUMMARY_TIME).describe(
      "Time of the last purchase since the first, t_x, in the model's time unit.",
    ),
    T: nonNegative("model time units", MAX_SUMMARY_TIME).describe(
      "Age: time since the first purchase, in the model's time unit.",
    ),
    monetary: nonNegative("currency", MAX_AMOUNT, { optional: true })
      .optional()
      .describe(
        "Mean spend per repeat purchase; without it, or at 0 (repeat purchases of no spend, which Gamma-Gamma's positive spends cannot describe, as in training), spend uses the population mean (Gamma-Gamma with x = 0).",
      ),
  })
  .refine((s) => s.recency <= s.T, { error: "must be <= T", path: ["recency"] })
  .refine((s) => s.frequency > 0 || s.recency === 0, {
    error: "must be 0 when frequency is 0",
    path: ["recency"],
  });

export const transactionSchema = z.strictObject({
  at: transactionTime.describe(
    "Transaction date YYYY-MM-DD, or a timestamp with optional zone (its date as written counts).",
  ),
  amount: nonNegative("currency", MAX_AMOUNT),
  quantity: nonNegative("units", MAX_AMOUNT, { optional: true })
    .optional()
    .describe(
      "Units bought. The GBDT's features include quantities: leave it out only for a model trained without them (read as 0).",
    ),
});

export const customerSchema = z
  .strictObject({
    id: z
      .string()
      .min(1, { error: "must not be empty" })
      .max(MAX_CUSTOMER_ID_LENGTH, { error: `at most ${MAX_CUSTOMER_ID_LENGTH} characters` }),
    summary: summarySchema.optional(),
    transactions: z
      .array(transactionSchema)
      .min(1, { error: "must hold at least one transaction" })
      .max(MAX_TRANSACTIONS_PER_CUSTOMER, {
        error: `at most ${MAX_TRANSACTIONS_PER_CUSTOMER} transactions per customer`,
      })
      .optional(),
  })
  .refine((c) => c.summary === undefined || c.transactions === undefined, {
    error: "give a summary or transactions, not both",
    path: ["transactions"],
  })
  .describe(
    "A customer by id only (looked up among the model's customers), by summary, or by transactions.",
  );

export const horizonSchema = z
  .strictObject({
    value: z
      .number({ error: "must be a number" })
      .positive({ error: "must be > 0" })
      // In days; in weeks the refine below bounds it (a documented maximum for the OpenAPI document).
      .max(MAX_HORIZON_DAYS, { error: `must be at most ${MAX_HORIZON_DAYS} days (5 years)` })
      .describe(`At most ${MAX_HORIZON_DAYS} days (5 years) in all.`),
    unit: z.enum(["day", "week"], { error: 'must be "day" or "week"' }),
  })
  // A value past the maximum in days is named by .max already (it was named twice).
  .refine(
    (h) => h.value > MAX_HORIZON_DAYS || h.value * (h.unit === "week" ? 7 : 1) <= MAX_HORIZON_DAYS,
    {
      error: `must be at most ${MAX_HORIZON_DAYS} days (5 years)`,
      path: ["value"],
    },
  );
