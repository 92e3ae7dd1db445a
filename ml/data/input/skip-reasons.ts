// Why a row of a log is skipped: each reason's words, the column it is about and what to pass when
// every row is skipped for it. The lines SQL, the reader's rejected records, `--on-bad-row fail`
// and the every-row-skipped error all read this one table, so a reason's column is never guessed.

import {
  latestPurchaseDate,
  MAX_AMOUNT,
  MAX_CUSTOMER_ID_LENGTH,
  PLACEHOLDER_DATES_UNTIL,
} from "@pp/shared/contracts/forecast-request.ts";
import type { LogColumns, NumericRole } from "./log-input.ts";

/** The column option a reason is about. */
type ReasonColumn = "customerId" | "date" | "amount" | "quantity" | "price";

export interface SkipReason {
  /** The words in `data.skipped` and in messages. */
  text: string;
  /** The column it is about; none for a line's shape or encoding. */
  column?: ReasonColumn;
  /** What to pass when every row is skipped for this reason. */
  hint?: string;
}

const NUMERIC_HINTS: Record<NumericRole, { missing: string; unreadable: string }> = {
  amount: {
    missing: "pass --amount-col naming the value column, or --quantity-col and --price-col",
    unreadable:
      "pass --amount-col naming a numeric column (12.50, 1,234.56 or 1.234,56, with or without a currency sign; --decimal-separator if it reads both ways), or --quantity-col and --price-col",
  },
  quantity: {
    missing: "pass --quantity-col naming the column that holds the quantity",
    unreadable: "pass --quantity-col naming a numeric column",
  },
  price: {
    missing: "pass --price-col naming the column that holds the unit price",
    unreadable: "pass --price-col naming a numeric column",
  },
};

/** A row without a value in a numeric column it needs. */
export function missingValue(role: NumericRole): SkipReason {
  return { text: `missing ${role}`, column: role, hint: NUMERIC_HINTS[role].missing };
}

/** A row whose numeric column is not a number. */
export function unreadableValue(role: NumericRole): SkipReason {
  return { text: `unreadable ${role}`, column: role, hint: NUMERIC_HINTS[role].unreadable };
}

const CUSTOMER_COLUMN_HINT = "pass --customer-col naming the column that holds the customer id";

export const MISSING_CUSTOMER_ID: SkipReason = {
  text: "missing customer id",
  column: "customerId",
  hint: CUSTOMER_COLUMN_HINT,
};

/** An id written as a missing value (customer-id-format.ts MISSING_ID_WORDS): no customer's. */
export const MISSING_ID_WORD: SkipReason = {
  text: "customer id written as a missing value (NULL, \\N, NA, nan, None, …)",
  column: "customerId",
  hint: CUSTOMER_COLUMN_HINT,
};

/** A report's total line (customer-id-format.ts TOTAL_LINE_WORDS): a sum of other rows. */
export const TOTAL_LINE: SkipReason = {
  text: "a total line (customer id Total, Subtotal, Summe, …)",
  column: "customerId",
  hint: CUSTOMER_COLUMN_HINT,
};

/** An id in scientific notation (customer-id-format.ts ROUNDED_ID_PATTERN): digits lost. */
export const ROUNDED_ID: SkipReason = {
  text: "customer id rounded by a spreadsheet (written like 4.00001E+12)",
  column: "customerId",
  hint: "export the customer id column as text (a spreadsheet writes ids of 12 digits or more as 4.00001E+12, merging customers) and read it again",
};

/**
 * An id holding U+0000: binary data in the id column, no shop's id. PostgreSQL text cannot hold
 * it, so such a customer could be neither registered nor asked for by id.
 */
export const NUL_IN_ID: SkipReason = {
  text: "customer id with a NUL character (binary data)",
  column: "customerId",
  hint: "the id column holds binary data: check --customer-col, and --encoding for a UTF-16 export",
};

/**
 * An id longer than the forecast API takes (a description or a whole line in the id column): such
 * a customer could not be asked for by id, and past about 2,700 bytes PostgreSQL's index refused
 * the registration after the whole training.
 */
export const LONG_ID: SkipReason = {
  text: `customer id over ${MAX_CUSTOMER_ID_LENGTH} characters`,
  column: "customerId",
  hint: "the id column holds long text: check --customer-col (and --delimiter)",
};

export const MISSING_DATE: SkipReason = {
  text: "missing date",
  column: "date",
  hint: "pass --date-col naming the column that holds the purchase date",
};

export const UNREADABLE_DATE: SkipReason = {
  text: "unreadable date",
  column: "date",
  hint: "pass --date-format with the column's strftime pattern, e.g. '%d/%m/%Y %H:%M', or epoch, epoch_ms, epoch_us, epoch_ns, excel or excel1904 for dates written as numbers, dotnet for /Date(…)/",
};

/** A row dated on or before 1970-01-01: a stand-in for a missing date. */
export const PLACEHOLDER_DATE: SkipReason = {
  text: `date on or before ${PLACEHOLDER_DATES_UNTIL} (a placeholder for a missing date)`,
  column: "date",
};

/** A row whose amount is not finite or beyond MAX_AMOUNT (a typo or a sentinel, not a purchase). */
export const AMOUNT_OUT_OF_RANGE: SkipReason = {
  text: `amount out of range (not finite, or above ${MAX_AMOUNT} in size)`,
  column: "amount",
};

/** How dateInTheFuture's reason begins, whatever the day (the holdout check looks for it). */
export const DATE_IN_THE_FUTURE = "date in the future";

/** A row dated after `today` and the day after it (the day's slack: no time zone's today). */
export function dateInTheFuture(today: string): SkipReason {
  return {
    text: `${DATE_IN_THE_FUTURE} (after ${today})`,
    column: "date",
    hint: `the log's dates run past ${latestPurchaseDate(today)}: check --date-format (day and month swapped?) or the date column`,
  };
}

/** A line with fewer or more fields than the header. */
export const WRONG_NUMBER_OF_COLUMNS: SkipReason = { text: "wrong number of columns" };

/**
 * The header line again, mid-file: exports joined one after another (`cat a.csv b.csv`). Its cells
 * are column names, so it was counted as an unreadable amount or date, hiding what it was.
 */
export const REPEATED_HEADER: SkipReason = {
  text: "the header line repeated (files joined one after another)",
};

/** A line the reader could not load for another reason (its kind in DuckDB's words). */
export function malformedLine(kind: string): SkipReason {
  return { text: `malformed line (${kind.toLowerCase()})` };
}

/** A line whose bytes are not in the file's encoding. */
export const INVALID_ENCODING: SkipReason = malformedLine("invalid encoding");

/** Every reason a read with these options can give, by its words (the lines SQL's and the reader's). */
export function skipReasons(today: string): Map<string, SkipReason> {
  const roles: NumericRole[] = ["amount", "quantity", "price"];
  const all = [
    MISSING_CUSTOMER_ID,
    MISSING_ID_WORD,
    TOTAL_LINE,
    ROUNDED_ID,
    NUL_IN_ID,
    LONG_ID,
    MISSING_DATE,
    UNREADABLE_DATE,
    PLACEHOLDER_DATE,
    dateInTheFuture(today),
    ...roles.flatMap((role) => [missingValue(role), unreadableValue(role)]),
    AMOUNT_OUT_OF_RANGE,
    WRONG_NUMBER_OF_COLUMNS,
    REPEATED_HEADER,
  ];
  return new Map(all.map((r) => [r.text, r]));
}

/** The column option (as the user named it) a reason is about, when it names one. */
export function columnOf(reason: SkipReason | undefined, columns: LogColumns): string | undefined {
  return reason?.column === undefined ? undefined : columns[reason.column];
}
