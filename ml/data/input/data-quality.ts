// What reading a transaction log did to it, in numbers: rows read and kept, skipped rows by reason
// with example line numbers, returns, $0 lines and the date range. Written to metrics.json `data`,
// shown first in report.html and printed by the CLI.

import * as z from "zod";
import type { ReadReport, TransactionLog } from "../transaction-log.ts";
import { dayToIsoDate } from "../transaction-log.ts";
import { optionWithColumn } from "./column-suggestion.ts";
import { currencyMixWarning } from "./currency-mix.ts";
import { groupedIdsLine, unseenIdCharactersLine, wholeNumberId } from "./customer-id-format.ts";
import { dominantCustomerWarning } from "./dominant-customer.ts";
import { emptySpanWarning } from "./empty-span.ts";
import { extremeAmountsWarning } from "./extreme-amounts.ts";
import { lineTotalsWarning } from "./line-totals.ts";
import { emptyFilterColumnWarning } from "./order-level-filters.ts";
import { repeatedTotalsWarning } from "./order-totals.ts";
import { quantityLikeAmountWarning } from "./quantity-like-amount.ts";
import { refundedAmountsWarning } from "./refunded-amounts.ts";
import { notSalesWarning } from "./status-values.ts";
import { unreadQuantityWarning } from "./unread-quantity.ts";
import { utcDaysLine } from "./utc-days.ts";

/** Ids that differ from another only in a way that may not matter: how many, and one pair. */
const ID_VARIANTS = z.object({ ids: z.number().int(), example: z.tuple([z.string(), z.string()]) });

export const DataQualitySchema = z.object({
  /** Data rows seen (header and blank lines excluded). */
  rows_read: z.number().int(),
  /** rows_read minus the skipped and left-out rows: purchases and returns. */
  rows_kept: z.number().int(),
  /** Skipped rows by reason, e.g. {"missing customer id": 1454}. */
  skipped: z.record(z.string(), z.number().int()),
  /** The first few line numbers (row numbers for Parquet and PostgreSQL) of each reason. */
  examples: z.record(z.string(), z.array(z.number().int())),
  /** Return / cancellation rows (never purchases) and their total value (a positive number). */
  returns: z.object({
    rows: z.number().int(),
    amount: z.number(),
    /** How they were used: subtracted from spend ("net") or ignored ("drop"). */
    mode: z.enum(["net", "drop"]),
    /** Returns netted against their original order (the rest against the same customer's spend). */
    matched_orders: z.number().int(),
    /** Returns of customers with no purchase at all: nothing to subtract from. */
    unmatched: z.number().int(),
    /**
     * Value of returns beyond the purchases they were netted against (a day's spend is never made
     * negative): not subtracted. Absent when none.
     */
    excess: z.number().optional(),
    /**
     * Purchase days whose returns cancelled them in full (equal to the day's spend, naming its
     * order or made that day): not purchases (not in purchase_days). Absent when none.
     */
    cancelled_purchase_days: z.number().int().optional(),
    /** A --cancel-pattern that matched no order id read, with a return line's order id. */
    cancel_pattern_unmatched: z
      .object({ pattern: z.string(), example: z.string().nullable() })
      .optional(),
  }),
  /** Purchase rows of value $0 (free items, full discounts): kept as purchases. */
  zero_amount_rows: z.number().int(),
  /** Customers with at least one purchase in the log. */
  customers_in_log: z.number().int(),
  /** Purchase days after merging same-day lines (and lines of one order). */
  purchase_days: z.number().int(),
  first_date: z.string().nullable(),
  last_date: z.string().nullable(),
  /** Where line numbers come from: "line" (text files) or "row" (Parquet, PostgreSQL). */
  position: z.enum(["line", "row"]),
  /** The date format used (given or sniffed), e.g. "%m/%d/%Y %H:%M"; null when typed. */
  date_format: z.string().nullable(),
  /**
   * Numeric columns not written as plain numbers, and how they were read: "1,234.56" (decimal
   * point; currency signs and thousands separators dropped) or "1.234,56" (decimal comma).
   */
  number_formats: z.record(z.string(), z.string()).optional(),
  /**
   * Customer ids written as whole numbers with a zero fraction (a float export's "17850.0", one
   * given here), read without it ("17850").
   */
  float_written_ids: z.string().optional(),
  /**
   * Ids written both ways in one read ("17850" and "17850.0": exports joined, one written as
   * floats), counted once per spelling: all read as whole numbers, one customer each.
   */
  mixed_float_ids: z.number().int().optional(),
  /**
   * Lines whose customer id held characters no one sees (a tab or a line end around it, a
   * zero-width space or a byte order mark anywhere), read without them; the ids they were read
   * as, and the first such id as written and as read. Read as written, "17850\t" and "17850" were
   * two customers.
   */
  unseen_id_characters: ID_VARIANTS.extend({ lines: z.number().int() }).optional(),
  /**
   * Ids written with thousands separators ("12,345": a spreadsheet's number format) where other
   * lines write the same digits without them ("12345"): all ids with that separator read without
   * it; how many, how many were written both ways, and one pair. Absent when none were.
   */
  grouped_ids: ID_VARIANTS.extend({ twins: z.number().int() }).optional(),
  /**
   * Workbooks: the sheets read, and those left out because their first row lacks a needed
   * column. Row numbers are each sheet's own. `repeated`: rows of a later sheet equal in every
   * column read to rows of an earlier one (overlapping sheets), read once and not counted in
   * rows_read.
   */
  sheets: z
    .object({
      read: z.array(z.string()),
      skipped: z.array(z.string()),
      repeated: z
        .array(z.object({ sheet: z.string(), of: z.string(), rows: z.number().int() }))
        .optional(),
    })
    .optional(),
  /** A workbook read from several sheets: the sheet of each row in `examples`. */
  example_sheets: z.record(z.string(), z.array(z.string())).optional(),
  /**
   * Several exports read as one (a folder or a file name pattern): the files, in the order read;
   * `example_files` gives the file of each line in `examples` (whose numbers are each file's own).
   */
  files: z.array(z.string()).optional(),
  example_files: z.record(z.string(), z.array(z.string())).optional(),
  /**
   * Lines of a later file equal to lines of an earlier one (exports that overlap), read once and
   * not counted in rows_read.
   */
  repeated_lines: z
    .array(z.object({ file: z.string(), of: z.string(), lines: z.number().int() }))
    .optional(),
  /**
   * One customer with a large share of the purchase days or spend, far ahead of the next (dominant-customer.ts):
   * often guest checkouts under one id. Warned about; kept.
   */
  dominant_customer: z
    .object({
      id: z.string(),
      column: z.string(),
      purchase_days: z.number().int(),
      share: z.number(),
      spend_share: z.number().optional(),
      next_most: z.number().int(),
    })
    .optional(),
  /**
   * A run of days without a purchase in a log that buys on nearly every day (empty-span.ts): an
   * export that misses those days, read as customers who stopped buying. Warned about.
   */
  empty_span: z
    .object({ from: z.string(), to: z.string(), days: z.number().int(), expected: z.number() })
    .optional(),
  /**
   * Purchase days spending over a thousand times the median one (extreme-amounts.ts): Gamma-Gamma
   * pools every customer's spend, so they move everyone's spend forecast. Warned about; kept.
   */
  extreme_amounts: z
    .object({
      days: z.number().int(),
      median: z.number(),
      largest: z.number(),
      customer: z.string(),
      spend_share: z.number(),
    })
    .optional(),
  /**
   * The date column holds instants (a timestamp with a time zone, Unix times, text written in UTC)
   * and no --timezone was given: cut into days in UTC (utc-days.ts). Their share between 00:00
   * and 05:00 UTC and the quietest five hours' first hour (UTC); not_utc: the hours say the shop
   * is not in UTC (warned about). Absent with --timezone, and for dates written with the shop's
   * own offset (read as written).
   */
  utc_days: z
    .object({
      column: z.string(),
      kind: z.enum(["epoch", "utc"]),
      rows: z.number().int(),
      night_share: z.number(),
      quiet_from: z.number().int(),
      not_utc: z.boolean(),
    })
    .optional(),
  /**
   * Customer ids that differ from another only in case (e-mail addresses typed by customers),
   * and one such pair: read as different customers unless --ignore-id-case.
   */
  case_variant_ids: ID_VARIANTS.optional(),
  /**
   * Customer ids in digits that differ from another only in leading zeros ("0042" and "42": a
   * spreadsheet dropped them in one export), and one such pair: read as different customers.
   */
  zero_padded_ids: ID_VARIANTS.optional(),
  /**
   * Customer ids that differ from another only in a quote at their start or end ('"c2' and
   * "c2": a stray quote on a CSV line), and one such pair: read as different customers.
   */
  quoted_variant_ids: ID_VARIANTS.optional(),
  /**
   * Lines without an amount in an order whose amount is on another of its lines (Shopify writes
   * an order's Total once): part of a purchase already counted; not skipped, not bad rows.
   */
  order_lines_without_amount: z.number().int().optional(),
  /**
   * Lines without a date in an order dated on another of its lines (Shopify writes Paid at once):
   * dated by their order, as its other lines' amounts and filter values are; not skipped.
   */
  order_lines_without_date: z.number().int().optional(),
  /**
   * --amount-per order: purchase lines whose amount (the order's total, repeated) was read on
   * another line of their order, so counted 0 here.
   */
  order_amounts_read_once: z.number().int().optional(),
  /**
   * Many lines (5%+) were skipped for a missing amount and no --order-col was given: they may be
   * their order's other lines (Shopify writes an order's Total once). The column named like an
   * order's, or "" when none is.
   */
  order_column_hint: z.string().optional(),
  /**
   * Without --order-col: a --keep-rows/--drop-rows column empty on 10%+ of the lines, most right
   * after a line of the same customer (order-level-filters.ts: Shopify writes Financial Status on
   * an order's first line only, so a filter judged its other lines on an empty cell). Warned about.
   */
  /**
   * Without --order-col: in the first rows, most orders of a column named like an order's carry
   * one amount on each of their lines (order-totals.ts: WooCommerce's Order Total Amount), which
   * is added once per line. Warned about.
   */
  repeated_order_totals: z
    .object({
      column: z.string(),
      order_column: z.string(),
      /** Without --order-col, the rows looked at; absent with it (every line read). */
      sampled_rows: z.number().int().optional(),
      orders: z.number().int(),
      same: z.number().int(),
      example: z.object({
        order: z.string(),
        customer: z.string(),
        amount: z.string(),
        lines: z.number().int(),
      }),
    })
    .optional(),
  empty_filter_columns: z
    .array(
      z.object({
        option: z.string(),
        column: z.string(),
        empty: z.number().int(),
        rows: z.number().int(),
        example: z.string(),
        order_column: z.string(),
      }),
    )
    .optional(),
  /**
   * A currency column holding several currencies in the first rows (currency-mix.ts): amounts are
   * summed as written. Warned about.
   */
  currencies: z
    .object({
      column: z.string(),
      sampled_rows: z.number().int(),
      values: z.array(z.object({ value: z.string(), rows: z.number().int() })),
      distinct: z.number().int(),
    })
    .optional(),
  /**
   * A column named like a refund (Stripe's Amount Refunded) holding refunds in the first rows
   * (refunded-amounts.ts): the amounts are read before them. Warned about.
   */
  refunded_amounts: z
    .object({
      column: z.string(),
      amount: z.string(),
      sampled_rows: z.number().int(),
      refunded_rows: z.number().int(),
    })
    .optional(),
  /**
   * Status columns without a filter whose values say no sale (cancelled, refunded, failed, …) in
   * the first rows (status-values.ts): those rows are read as purchases. Warned about.
   */
  not_sales: z
    .array(
      z.object({
        column: z.string(),
        sampled_rows: z.number().int(),
        values: z.array(z.object({ value: z.string(), rows: z.number().int() })),
        /** The values --drop-rows already leaves out of this column. */
        dropped: z.array(z.string()).optional(),
        /** Of the values, returns written positive: --return-rows nets them. */
        returns: z.array(z.string()).optional(),
        /** Of the values, refunds whose rows repeat a sale of their customer (order or amount). */
        beside_sales: z
          .object({
            values: z.array(z.string()),
            rows: z.number().int(),
            of: z.number().int(),
            by: z.enum(["order", "amount"]),
          })
          .optional(),
      }),
    )
    .optional(),
  /**
   * The amounts are small whole numbers, like a count of items, while another column named like
   * money holds larger values (quantity-like-amount.ts: Ta Feng's AMOUNT beside SALES_PRICE).
   * Warned about; read as given.
   */
  quantity_like_amount: z
    .object({
      column: z.string(),
      median: z.number(),
      other: z.string(),
      other_median: z.number(),
    })
    .optional(),
  /**
   * A quantity, a unit price and their product side by side, read with the product as the unit
   * price or the unit price as the amount (line-totals.ts). Warned about; read as given.
   */
  line_totals: z
    .object({
      read_as: z.enum(["price", "amount"]),
      quantity: z.string(),
      price: z.string(),
      total: z.string(),
      lines: z.number(),
      matching: z.number(),
    })
    .optional(),
  /**
   * A quantity column read by no option beside the amount, whose negative quantities at positive
   * amounts (returns) were read as purchases (unread-quantity.ts: Online Retail's Price as the
   * amount). Warned about; read as given.
   */
  unread_quantity: z
    .object({
      amount: z.string(),
      quantity: z.string(),
      sampled: z.number(),
      negative: z.number(),
    })
    .optional(),
  /** --ignore-id-case: ids were read lower-cased (so are they served). */
  ids_lower_cased: z.boolean().optional(),
  /** Text files not in UTF-8: the encoding read ("utf-16" by its mark, "latin-1" by fallback). */
  encoding: z.string().optional(),
  /** A UTF-8 file with lines that are not (a stray byte, an export of each joined): read as Windows-1252. */
  windows_1252_lines: z.number().int().optional(),
  /** The first few of them (line numbers). */
  windows_1252_line_examples: z.array(z.number().int()).optional(),
  /**
   * A --query over a folder's files (file-query.ts): its text; `files` are then the files it
   * read, and `examples` the query's row numbers.
   */
  query: z.string().optional(),
  /** A --query's files not plain UTF-8: how each was decoded ("windows-1252", "UTF-8, except …"). */
  file_encodings: z.record(z.string(), z.string()).optional(),
  /** Lines above the header (a report title, an export date), skipped. */
  lines_above_header: z.number().int().optional(),
  /** A --query's CSVs with lines above their header: how many each, skipped. */
  file_lines_above_header: z.record(z.string(), z.number().int()).optional(),
  /** A CSV with CRLF and LF line ends both (two exports joined): read from a copy with LF only. */
  mixed_line_ends: z.boolean().optional(),
  /**
   * Rows the row filters left out (`--keep-rows event=transaction`, `--drop-rows
   * status=cancelled`): not bad rows, not in `skipped`, and not in `rows_kept`.
   */
  left_out: z.object({ filters: z.array(z.string()), rows: z.number().int() }).optional(),
  /** `--amount-col none`: the log has no amounts; purchases are counted, spend is not modelled. */
  no_amount: z.boolean().optional(),
  /**
   * `--format summary`: customer summaries, not a log; t_x and T were read in this unit
   * (`--time-unit`; lifetimes writes days).
   */
  summaries: z.object({ customers: z.number().int(), time_unit: z.string() }).optional(),
});

export type DataQuality = z.infer<typeof DataQualitySchema>;

/** The warning about ids that differ only in case, with the option that makes them one. */
export function caseVariantWarning(v: IdVariants): string {
  return idVariantsWarning(
    v,
    "case",
    "e-mail addresses typed by customers",
    "pass --ignore-id-case",
  );
}

/** The warning about ids that differ only in leading zeros, with what to do about them. */
export function zeroPaddedWarning(v: IdVariants): string {
  return idVariantsWarning(
    v,
    "leading zeros",
    "a spreadsheet drops the zeros of ids it reads as numbers",
    "export the ids as text from the shop's system, or write them alike and read again (a " +
      "--query over the file drops the zeros: SELECT *, regexp_replace(<customer column>, " +
      "'^0+([0-9]+)$', '\\1') AS unpadded_id FROM <file name>, with --customer-col unpadded_id)",
  );
}

/** The warning about ids that differ only in quotes at their ends, with what to do about them. */
export function quotedVariantWarning(v: IdVariants): string {
  return idVariantsWarning(
    v,
    "a quote at their start or end",
    "a stray quote on a line of the export, or a spreadsheet's ' that marks a cell as text",
    "remove the quote from those lines and read again",
  );
}

type IdVariants = z.infer<typeof ID_VARIANTS>;

/** Ids that differ only in `how`: counted, a pair shown, the likely cause and what to do. */
function idVariantsWarning(v: IdVariants, how: string, cause: string, action: string): string {
  const [a, b] = v.example;
  return (
    `WARNING: ${n(v.ids)} customer ids differ from another only in ${how} ` +
    `(e.g. ${JSON.stringify(a)} and ${JSON.stringify(b)}) and are read as different customers; ` +
    `if they are one (${cause}), ${action}`
  );
}

/**
 * A reason's examples as text: "lines 3, 9", "a.csv line 3, b.csv line 9" (rows for Parquet parts),
 * or 'sheet "2010" row 3, sheet "2011" row 9'.
 */
export function examplesText(q: DataQuality, reason: string): string {
  const examples = q.examples[reason] ?? [];
  if (examples.length === 0) return "";
  const files = q.example_files?.[reason];
  if (files) return examples.map((at, i) => `${files[i]} ${q.position} ${at}`).join(", ");
  const sheets = q.example_sheets?.[reason];
  if (sheets)
    return examples.map((at, i) => `sheet ${JSON.stringify(sheets[i])} row ${at}`).join(", ");
  const rows = `${q.position === "line" ? "lines" : "rows"} ${examples.join(", ")}`;
  return q.query !== undefined ? `query ${rows}` : rows;
}

/** Examples kept per reason. */
export const EXAMPLES_PER_REASON = 5;

/** Data quality of the legacy readers (CDNOW text, summaries): skipped rows keyed by field. */
export function qualityFromReadReport(
  report: ReadReport,
  log: TransactionLog | null,
  summaryTimeUnit?: string,
): DataQuality {
  const skipped: Record<string, number> = {};
  const examples: Record<string, number[]> = {};
  for (const e of report.errors) {
    const reason = e.field ? `bad ${e.field}` : e.message.replace(/, got \d+$/, "");
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    const list = examples[reason] ?? [];
    if (list.length < EXAMPLES_PER_REASON) list.push(e.line);
    examples[reason] = list;
  }
  const listed = report.errors.length;
  if (report.badRows > listed)
    skipped["other (beyond the first reported)"] = report.badRows - listed;
  let zero = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const buyers = new Uint8Array(log ? log.customerIds.length : 0);
  const days = new Set<number>();
  if (log) {
    for (let i = 0; i < log.length; i++) {
      const d = log.day[i]!;
      if (log.amount[i] === 0) zero++;
      if (d < first) first = d;
      if (d > last) last = d;
      buyers[log.customer[i]!] = 1;
      days.add(log.customer[i]! * 100_000 + d);
    }
  }
  return {
    rows_read: report.rowsRead,
    rows_kept: report.rowsKept,
    skipped,
    examples,
    returns: { rows: 0, amount: 0, mode: "net", matched_orders: 0, unmatched: 0 },
    zero_amount_rows: zero,
    customers_in_log: buyers.reduce((s, b) => s + b, 0),
    purchase_days: days.size,
    first_date: log && log.length > 0 ? dayToIsoDate(first) : null,
    last_date: log && log.length > 0 ? dayToIsoDate(last) : null,
    position: "line",
    date_format: null,
    ...(summaryTimeUnit
      ? { summaries: { customers: report.rowsKept, time_unit: summaryTimeUnit } }
      : {}),
  };
}

/**
 * When more rows were skipped than kept: a model trained on the rest is likely not what was meant
 * (a wrong column, a layout the sniffer did not know). It went by as one count among the others.
 */
function mostSkippedWarning(q: DataQuality): string {
  const skipped = Object.entries(q.skipped).sort((a, b) => b[1] - a[1]);
  const total = skipped.reduce((sum, [, count]) => sum + count, 0);
  if (q.rows_read === 0 || total <= q.rows_kept) return "";
  const [reason] = skipped[0] ?? ["", 0];
  const share = ((100 * total) / q.rows_read).toFixed(0);
  return (
    `  WARNING: most rows were skipped (${n(total)} of ${n(q.rows_read)}, ${share}%; mostly ${reason}): ` +
    "only the rest is used; check the column options, or pass --on-bad-row fail to stop at the first"
  );
}

/** Day numbers spanning less than this are more likely counts between orders than days of a log. */
const SHORT_DAY_NUMBER_SPAN = 60;

/**
 * Dates read as 'days since …' that span under two months: the sniffer refuses such numbers as
 * a count (Instacart's days_since_prior_order, 0–30), but an explicit --date-format read them,
 * every order of three years in one month, and trained without a word.
 */
function shortDaysSinceWarning(q: DataQuality): string {
  if (!q.date_format?.startsWith("days since") || !q.first_date || !q.last_date) return "";
  const span = (Date.parse(q.last_date) - Date.parse(q.first_date)) / 86_400_000;
  if (span >= SHORT_DAY_NUMBER_SPAN) return "";
  return (
    `  WARNING: the dates read as '${q.date_format}' span ${span} days (${q.first_date} to ${q.last_date}): ` +
    "if the column counts days since a customer's previous order (Instacart's days_since_prior_order), " +
    "every order landed in that span; add them up per customer into day numbers first"
  );
}

/** The lines the CLI prints (and the report lists) about the data. */
export function dataQualityLines(q: DataQuality): string[] {
  return [headline(q), ...sourceLines(q), ...rowLines(q), ...warningLines(q)].filter(
    (line) => line !== "",
  );
}

const n = (v: number) => v.toLocaleString("en-US");
/** An amount of money: two decimals and thousands separators ("66,654,152.95"). */
const money = (v: number) =>
  v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** "1 line", "2 lines": a count and its noun. */
const plural = (v: number, noun: string) => `${n(v)} ${noun}${v === 1 ? "" : "s"}`;

/** The first line: rows read and kept, customers, purchase days and dates (or summaries). */
function headline(q: DataQuality): string {
  if (q.summaries) {
    return (
      `data: ${n(q.rows_read)} rows read, ${n(q.rows_kept)} kept: summaries of ` +
      `${n(q.summaries.customers)} customers, t_x and T read in ${q.summaries.time_unit}s ` +
      "(--time-unit; lifetimes writes days)"
    );
  }
  return (
    `data: ${n(q.rows_read)} rows read, ${n(q.rows_kept)} kept; ${n(q.customers_in_log)} customers, ` +
    `${n(q.purchase_days)} purchase days, ${q.first_date ?? "—"} to ${q.last_date ?? "—"}` +
    (q.date_format ? ` (dates read as ${q.date_format})` : "")
  );
}

/** How the files were read: several as one, their encoding, title lines, sheets, filters, formats. */
function sourceLines(q: DataQuality): string[] {
  const lines: string[] = [];
  if (q.query !== undefined) {
    lines.push(`  query over ${q.files?.join(", ") ?? "the folder"}; row numbers are the query's`);
  } else if (q.files) lines.push(`  ${q.files.length} files read as one: ${q.files.join(", ")}`);
  for (const r of q.repeated_lines ?? []) {
    lines.push(
      `  ${r.file}: ${n(r.lines)} lines repeat lines of ${r.of} (the exports overlap): read once`,
    );
  }
  if (q.encoding) lines.push(`  read as ${q.encoding} (not UTF-8)`);
  for (const [file, how] of Object.entries(q.file_encodings ?? {})) {
    lines.push(`  ${file} read as ${how}`);
  }
  if (q.windows_1252_lines) {
    const examples = q.windows_1252_line_examples ?? [];
    const at = `line${examples.length > 1 ? "s" : ""} ${examples.join(", ")}`;
    lines.push(
      `  read as UTF-8, except ${plural(q.windows_1252_lines, "line")} not UTF-8, read as windows-1252 (${at}${q.windows_1252_lines > examples.length ? ", …" : ""})`,
    );
  }
  if (q.mixed_line_ends) lines.push("  line ends mixed (CRLF and LF, or CR CR LF): read as LF");
  if (q.lines_above_header) {
    lines.push(`  header on line ${q.lines_above_header + 1}; the lines above it skipped`);
  }
  for (const [file, skipped] of Object.entries(q.file_lines_above_header ?? {})) {
    lines.push(`  ${file}: header on line ${skipped + 1}; the lines above it skipped`);
  }
  if (q.sheets) {
    lines.push(
      `  sheets read: ${q.sheets.read.join(", ")}` +
        (q.sheets.skipped.length > 0
          ? `; left out (no header with the columns): ${q.sheets.skipped.join(", ")}`
          : ""),
    );
    for (const r of q.sheets.repeated ?? []) {
      lines.push(
        `  sheet "${r.sheet}": ${n(r.rows)} rows repeat rows of sheet "${r.of}" (the sheets overlap): read once`,
      );
    }
  }
  if (q.no_amount)
    lines.push("  no amounts (--amount-col none): purchases counted, no spend model");
  if (q.left_out) {
    lines.push(`  left out by ${q.left_out.filters.join(" and ")}: ${n(q.left_out.rows)} rows`);
  }
  if (q.float_written_ids) {
    const example = q.float_written_ids;
    const mixed = q.mixed_float_ids
      ? `; other exports in this read wrote them without the fraction (${n(q.mixed_float_ids)} ids had both spellings)`
      : "";
    lines.push(
      `  customer ids written like ${example} (a float export) read as ${wholeNumberId(example)}${mixed}`,
    );
  }
  if (q.unseen_id_characters) lines.push(`  ${unseenIdCharactersLine(q.unseen_id_characters)}`);
  if (q.grouped_ids) lines.push(`  ${groupedIdsLine(q.grouped_ids)}`);
  for (const [column, example] of Object.entries(q.number_formats ?? {})) {
    lines.push(`  column "${column}" read as numbers written like ${example}`);
  }
  return lines;
}

/** What became of the rows: order lines, skipped rows by reason, returns, $0 purchases. */
/**
 * A query's TRY_CAST gives NULL for a value that does not convert: its row is counted as missing
 * where the file read alone counts it unreadable (the text is gone, so the two are not told apart).
 */
function tryCastLines(q: DataQuality): string[] {
  if (q.query === undefined || !/\btry_cast\s*\(/i.test(q.query)) return [];
  return Object.keys(q.skipped)
    .filter((reason) => reason.startsWith("missing "))
    .map(
      (reason) =>
        `  ${reason}: with TRY_CAST in the query, a value that does not convert arrives as NULL, so unreadable values are counted as missing (read the file alone to tell them apart)`,
    );
}

function rowLines(q: DataQuality): string[] {
  const lines: string[] = [];
  if (q.order_lines_without_amount) {
    lines.push(
      `  order lines whose amount is on another line of their order: ${n(q.order_lines_without_amount)} (part of that purchase)`,
    );
  }
  if (q.order_lines_without_date) {
    lines.push(
      `  order lines whose date is on another line of their order: ${n(q.order_lines_without_date)} (dated by it)`,
    );
  }
  if (q.order_amounts_read_once) {
    lines.push(
      `  order lines whose amount repeats their order's (--amount-per order): ${n(q.order_amounts_read_once)} (read once per order)`,
    );
  }
  for (const [reason, count] of Object.entries(q.skipped)) {
    const at = examplesText(q, reason);
    lines.push(`  skipped ${n(count)}: ${reason}${at ? ` (e.g. ${at})` : ""}`);
  }
  lines.push(...tryCastLines(q));
  if (q.order_column_hint !== undefined) {
    const column = q.order_column_hint;
    const option = column
      ? optionWithColumn("--order-col", column)
      : "--order-col naming the column that holds the order id";
    lines.push(
      "  lines without an amount may be their order's other lines (an order export writes its " +
        `total once): if so, pass ${option}`,
    );
  }
  if (q.returns.rows > 0) {
    lines.push(
      `  returns/cancellations: ${n(q.returns.rows)} rows, ${money(q.returns.amount)} in value, ` +
        (q.returns.mode === "net"
          ? `subtracted from spend (${n(q.returns.matched_orders)} by order, ${n(q.returns.unmatched)} without a purchase to net against` +
            (q.returns.excess
              ? `; ${money(q.returns.excess)} of it beyond the purchases netted against, so not subtracted: spend is never negative)`
              : ")")
          : "ignored (--returns drop)") +
        "; never counted as purchases",
    );
  }
  const unmatched = q.returns.cancel_pattern_unmatched;
  if (unmatched) {
    lines.push(
      `  WARNING: --cancel-pattern '${unmatched.pattern}' matches no order id of the lines read; ` +
        "returns are only the lines with a negative amount" +
        (unmatched.example === null
          ? ""
          : ` (one is in order ${JSON.stringify(unmatched.example)})`),
    );
  }
  if (q.returns.cancelled_purchase_days) {
    lines.push(
      `  purchase days cancelled in full (returns equal to the day's spend, naming its order or made that day): ` +
        `${n(q.returns.cancelled_purchase_days)}, not counted as purchases`,
    );
  }
  if (q.zero_amount_rows > 0) {
    lines.push(`  $0 purchase rows: ${n(q.zero_amount_rows)} (kept as purchases)`);
  }
  return lines;
}

/** Warnings: a customer who stands out, ids that differ only in case, several currencies. */
function warningLines(q: DataQuality): string[] {
  return [
    mostSkippedWarning(q),
    q.currencies ? `  ${currencyMixWarning(q.currencies)}` : "",
    ...(q.not_sales ?? []).map((s) => `  ${notSalesWarning(s)}`),
    ...(q.empty_filter_columns ?? []).map((e) => `  ${emptyFilterColumnWarning(e)}`),
    q.repeated_order_totals ? `  ${repeatedTotalsWarning(q.repeated_order_totals)}` : "",
    q.refunded_amounts ? `  ${refundedAmountsWarning(q.refunded_amounts)}` : "",
    q.quantity_like_amount ? `  ${quantityLikeAmountWarning(q.quantity_like_amount)}` : "",
    q.line_totals ? `  ${lineTotalsWarning(q.line_totals)}` : "",
    q.unread_quantity ? `  ${unreadQuantityWarning(q.unread_quantity)}` : "",
    shortDaysSinceWarning(q),
    q.utc_days ? `  ${utcDaysLine(q.utc_days)}` : "",
    q.dominant_customer ? `  ${dominantCustomerWarning(q.dominant_customer)}` : "",
    q.empty_span ? `  ${emptySpanWarning(q.empty_span)}` : "",
    q.extreme_amounts ? `  ${extremeAmountsWarning(q.extreme_amounts)}` : "",
    q.case_variant_ids ? `  ${caseVariantWarning(q.case_variant_ids)}` : "",
    q.zero_padded_ids ? `  ${zeroPaddedWarning(q.zero_padded_ids)}` : "",
    q.quoted_variant_ids ? `  ${quotedVariantWarning(q.quoted_variant_ids)}` : "",
    q.ids_lower_cased
      ? "  customer ids read lower-cased (--ignore-id-case): forecasts and scores know them so"
      : "",
  ];
}
