// Every model here learns how often customers buy again, so data in which nobody does is refused
// before fitting, naming the likely cause: a customer column that holds one id per order (as
// Olist's `customer_id` does), or a calibration end before anyone came back. Without this check
// the fits degenerate (r → 0, flat likelihoods) and a model forecasting ~0 for all is written.
import { InputError } from "../data/input/input-error.ts";
import { dayToIsoDate, purchaseDayRange, type TransactionLog } from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";

/** How many customers buy on two or more days in the whole log, and the first such second day. */
export function repeatBuyersInLog(log: TransactionLog): { buyers: number; firstRepeat: number } {
  const customers = log.customerIds.length;
  const first = new Int32Array(customers).fill(2 ** 31 - 1);
  const second = new Int32Array(customers).fill(2 ** 31 - 1);
  for (let i = 0; i < log.length; i++) {
    const c = log.customer[i]!;
    if (log.day[i]! < first[c]!) first[c] = log.day[i]!;
  }
  for (let i = 0; i < log.length; i++) {
    const c = log.customer[i]!;
    const day = log.day[i]!;
    if (day > first[c]! && day < second[c]!) second[c] = day;
  }
  let buyers = 0;
  let firstRepeat = Number.POSITIVE_INFINITY;
  for (let c = 0; c < customers; c++) {
    if (second[c] === 2 ** 31 - 1) continue;
    buyers++;
    if (second[c]! < firstRepeat) firstRepeat = second[c]!;
  }
  return { buyers, firstRepeat };
}

const count = (n: number) => n.toLocaleString("en-US");

export interface RepeatBuyerContext {
  /** How the customer id is chosen: `column "customer_id"`, or the CDNOW file's first field. */
  customerColumn: string;
  /** The column's own name, when it has one. */
  column?: string;
  /** The option that names it (`--customer-col`), when there is one. */
  customerOption?: string;
  calibrationEnd: string;
  /** The --query read, when the log is one: its files are joined already. */
  query?: string;
  /** True when --calibration-end was given (else the default split chose it). */
  calibrationGiven: boolean;
}

/** Throws an InputError when no customer of the log, or none before the calibration end, buys again. */
export function requireRepeatBuyers(
  log: TransactionLog,
  summaries: CustomerSummaries,
  context: RepeatBuyerContext,
): void {
  for (let i = 0; i < summaries.n; i++) if (summaries.x[i]! > 0) return;
  const { buyers, firstRepeat } = repeatBuyersInLog(log);
  if (buyers === 0) {
    failOnOneDay(log);
    const customers = log.customerIds.length;
    throw new InputError(
      context.column,
      `${context.customerColumn}: none of the ${count(customers)} customers buys on more than one day, so there is no repeat purchasing to learn from`,
      {
        hint: `if each value names an order, a session or a visit rather than a person (Olist's customer_id is one per order; its customer_unique_id is the person), ${personAdvice(context)}`,
      },
    );
  }
  const firstDate = dayToIsoDate(firstRepeat);
  const which = context.calibrationGiven
    ? `--calibration-end ${context.calibrationEnd}`
    : `the default calibration end ${context.calibrationEnd}`;
  throw new InputError(
    undefined,
    `${which}: no customer buys again on or before it (the log's first repeat purchase is on ${firstDate}; ${count(buyers)} customers buy again in all), so the models have nothing to fit`,
    { hint: `pass a --calibration-end after ${firstDate} (and a --holdout-end after that)` },
  );
}

/** Names a query may hold for a person's id: Olist's customer_unique_id, a user id, an email. */
const PERSON_NAME =
  /(?<![\p{L}\p{N}_])[\p{L}\p{N}_]*(?:unique_id|person_id|user_id|email)(?![\p{L}\p{N}_])/giu;

/**
 * What to pass for a person's column. A --query has joined the files already (telling it to join
 * them sent the user round in a circle): a person-like column it names is named.
 */
function personAdvice(context: RepeatBuyerContext): string {
  if (!context.customerOption) return "the file must identify a person";
  const option = context.customerOption;
  if (context.query !== undefined) {
    const names = [...context.query.matchAll(PERSON_NAME)].map((m) => m[0].toLowerCase());
    const person = names.find((n) => n !== context.column?.toLowerCase());
    return person
      ? `pass ${option} ${person} (selected by the query, if it is not yet)`
      : `select the column that identifies a person in the query (joining the table that holds it) and pass ${option} naming it`;
  }
  return `pass ${option} naming the column that identifies a person; if that column is in another file (Olist's customers.csv), join the files: --data FOLDER --query 'SELECT … FROM orders JOIN customers USING (customer_id) …' reads each file of the folder as a table`;
}

/**
 * A log of one day has nobody buying again whatever the customer column: said so, where the error
 * blamed the column (Olist's one id per order).
 */
function failOnOneDay(log: TransactionLog): void {
  const { first, last } = purchaseDayRange(log);
  if (first !== last) return;
  throw new InputError(
    undefined,
    `the log holds purchases of one day only (${dayToIsoDate(first)}): nobody can buy on a second day, so there is no repeat purchasing to learn from`,
    {
      hint: "pass the export of a longer span (months or more); if every line carries the export's date, pass --date-col naming the column of each purchase's date",
    },
  );
}

/** The same for customer summaries: a frequency column of zeros only. */
export function requireRepeatBuyersInSummaries(summaries: CustomerSummaries): void {
  for (let i = 0; i < summaries.n; i++) if (summaries.x[i]! > 0) return;
  throw new InputError(
    "x",
    `column x (frequency): 0 for all ${count(summaries.n)} customers, so there is no repeat purchasing to learn from`,
    {
      hint: "x counts purchases after the first (lifetimes' frequency); a summary that counts every purchase starts at 1: check the column and how it was computed",
    },
  );
}
