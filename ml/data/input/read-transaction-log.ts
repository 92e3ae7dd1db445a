// Reads a shop's transaction log (CSV/TSV, gzip or not; Parquet; a PostgreSQL table or query)
// through DuckDB into the TransactionLog typed arrays the pipeline uses, one row per customer and
// purchase day, with a DataQuality account of every row that was skipped, returned or $0.

import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { latestPurchaseDate } from "@pp/shared/contracts/forecast-request.ts";
import { BadRowError } from "../bad-rows.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  purchaseDayRange,
  type TransactionLog,
} from "../transaction-log.ts";
import { TIME_ZONE_HINT } from "../zoned-day.ts";
import { optionWithColumn, suggestedColumns } from "./column-suggestion.ts";
import { failOnCreditMarks } from "./credit-marks.ts";
import { currencyMix, failOnMixedCurrencySigns } from "./currency-mix.ts";
import {
  customerIdChecks,
  failOnFloatTypedIds,
  floatWrittenIdExample,
  groupedIds,
  mixedFloatIds,
  unseenIdCharacters,
  WHOLE_NUMBER_LINE_IDS_SQL,
} from "./customer-id-format.ts";
import { type DataQuality, EXAMPLES_PER_REASON } from "./data-quality.ts";
import {
  checkDateFormat,
  moreDateLayouts,
  type SniffedDates,
  sniffDateFormat,
  sniffDates,
} from "./date-format.ts";
import { failOnOtherDayOrder } from "./day-order.ts";
import { dominantCustomer } from "./dominant-customer.ts";
import { doubledExport, readDoubledOnce } from "./doubled-export.ts";
import { emptySpan } from "./empty-span.ts";
import { extremeAmounts } from "./extreme-amounts.ts";
import { fetchCustomerIds, fetchLaterReturns, fetchLog } from "./fetch-log.ts";
import { sourceBySignature } from "./file-signature.ts";
import { emptyLogError, InputError } from "./input-error.ts";
import { fileHasMixedLineEnds } from "./line-ends.ts";
import { physicalLines } from "./line-numbers.ts";
import { lineTotals } from "./line-totals.ts";
import {
  isNotUtf8Error,
  isSniffFailure,
  type LoadedSource,
  loadSource,
  type RejectedRecord,
} from "./load-source.ts";
import {
  AMOUNT_ON_ANOTHER_LINE,
  LEFT_OUT_BY_FILTER,
  type LogInput,
  type LogSource,
  type NumericRole,
  rowFilterOptions,
  sourceName,
} from "./log-input.ts";
import {
  failOnOtherHeader,
  filesOf,
  type ManyFiles,
  readJoinedParts,
  readManyFiles,
  readManyParts,
} from "./many-files.ts";
import { currencyColumn, failOnMinorUnits, minorUnitsSql } from "./minor-units.ts";
import {
  DECIMAL_SEPARATORS,
  failOnGroupedByPoint,
  failOnMixedNumberFormats,
  givenSeparatorHint,
  NUMBER_FORMAT_EXAMPLE,
  type NumberFormat,
  plainInSample,
  sniffNumberFormat,
} from "./number-format.ts";
import { emptyFilterColumns } from "./order-level-filters.ts";
import {
  orderTotalsOnce,
  type RepeatedTotalsHint,
  repeatedOrderTotals,
  repeatedTotalsInSample,
} from "./order-totals.ts";
import { quantityLikeAmount } from "./quantity-like-amount.ts";
import { refundedAmounts } from "./refunded-amounts.ts";
import { failOnReusedOrderIds } from "./reused-order-ids.ts";
import {
  columnOf,
  INVALID_ENCODING,
  MISSING_DATE,
  malformedLine,
  missingValue,
  REPEATED_HEADER,
  type SkipReason,
  skipReasons,
  UNREADABLE_DATE,
  unreadableValue,
  WRONG_NUMBER_OF_COLUMNS,
} from "./skip-reasons.ts";
import { checkDataFile } from "./source-file.ts";
import { columnText, sqlIdentifier, sqlString } from "./sql-text.ts";
import { notSales } from "./status-values.ts";
import {
  amountOnAnotherLineSql,
  customersSql,
  dateOnAnotherLineSql,
  dayExpression,
  linesSql,
  netReturnsSql,
  orderFiltersSql,
  PURCHASE_DAYS_SQL,
  purchaseLinesSql,
} from "./transactions-sql.ts";
import { unreadQuantity } from "./unread-quantity.ts";
import { utcDays } from "./utc-days.ts";
import { isZipPath, readZipped, sourceOfEntry } from "./zip-source.ts";
import { failOnZoneNames } from "./zone-names.ts";

export interface ReadLogResult {
  log: TransactionLog;
  quality: DataQuality;
}

type Row = Record<string, unknown>;

async function rows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Row[];
}

/** Reason of a record DuckDB did not load: wrong shape, or a numeric role that is not a number. */
function rejectReason(
  r: RejectedRecord,
  columns: LogInput["columns"],
  headerNames: string[] = [],
): SkipReason {
  if (r.kind === "MISSING COLUMNS" || r.kind === "TOO MANY COLUMNS") return WRONG_NUMBER_OF_COLUMNS;
  if (r.kind === "CAST") {
    // DuckDB's words for a cell holding a column's name: the header line again (its columns maybe
    // in another order, which the joined read then refuses).
    const names = r.column === null ? headerNames : [r.column, ...headerNames];
    if (names.some((n) => r.message.includes(`convert string ${JSON.stringify(n)} to`)))
      return REPEATED_HEADER;
    for (const role of ["amount", "quantity", "price"] as const) {
      if (columns[role] !== undefined && columns[role] === r.column) return unreadableValue(role);
    }
  }
  return malformedLine(r.kind);
}

/**
 * Reads the log; a CSV that turns out not to be UTF-8 (a Windows export, found anywhere in the
 * file) is read again as Windows-1252, which decodes any byte, and says so in `data.encoding`.
 */
export async function readTransactionLog(given: LogInput): Promise<ReadLogResult> {
  if (given.source.kind !== "postgres" && given.source.kind !== "query") {
    const named = given.source;
    const many = filesOf(named.path);
    if (many !== null) return readFiles(given, many);
    checkDataFile(named.path);
    // A file is read as what its first bytes say it is, whatever its name.
    const actual = isZipPath(named.path) ? "zip" : await sourceBySignature(named);
    if (actual === "zip") {
      return readZipped(named.path, (path) =>
        readTransactionLog({ ...given, source: sourceOfEntry(named, path) }),
      );
    }
    // Already checked: read as what it is, without finding files or signatures again.
    if (actual !== named) return readJoinedOnce({ ...given, source: actual });
  }
  return readJoinedOnce(given);
}

/**
 * readDecoded; and when a CSV's header line repeats (exports joined with `cat`), again with the
 * lines a later part repeats of an earlier one read once, as a folder's (many-files.ts): read
 * twice, an export joined to itself doubled every spend. A CSV whose data lines are two identical
 * halves (appended to itself without its header) is read once too (doubled-export.ts).
 */
async function readJoinedOnce(input: LogInput): Promise<ReadLogResult> {
  const source = input.source;
  const doubled = source.kind === "csv" ? await doubledExport(source.path) : null;
  if (source.kind === "csv" && doubled) {
    return readDoubledOnce(source.path, doubled, (copy) =>
      readDecoded({ ...input, source: { ...source, path: copy } }),
    );
  }
  const result = await readDecoded(input).catch(async (error: unknown) => {
    // A later header with other columns made its lines bad: that is the error to give.
    if (source.kind === "csv") await failOnOtherHeader(source.path, input.columns);
    throw error;
  });
  if (source.kind !== "csv") return result;
  if (!result.quality.skipped[REPEATED_HEADER.text]) {
    if (mayHoldOtherHeader(result.quality)) await failOnOtherHeader(source.path, input.columns);
    return result;
  }
  const once = await readJoinedParts(source.path, input.columns, (copy) =>
    readDecoded({ ...input, source: { ...source, path: copy } }),
  );
  return once ?? result;
}

/**
 * Whether a later header with other columns (exports joined with `cat`) may be what the read
 * skipped: lines with another number of columns, or an unreadable (or missing) date or number (a
 * header naming the id or date column otherwise, whose cells are names), or lines above the header
 * the sniffer chose (the wider part's header taken for the file's). The file is then looked
 * through for one.
 */
function mayHoldOtherHeader(quality: DataQuality): boolean {
  const headerSkips = [WRONG_NUMBER_OF_COLUMNS.text, UNREADABLE_DATE.text, MISSING_DATE.text];
  const skipped = Object.keys(quality.skipped).filter((reason) => quality.skipped[reason]);
  return (
    (quality.lines_above_header ?? 0) > 0 ||
    skipped.some((r) => headerSkips.includes(r) || /^(unreadable |malformed line)/.test(r))
  );
}

/** A folder or pattern of exports: the one file it names, or its files read as one (many-files.ts). */
function readFiles(given: LogInput, many: ManyFiles): Promise<ReadLogResult> {
  const named = given.source as Exclude<LogSource, { kind: "postgres" }>;
  const { kind, files } = many;
  if (files.length === 1) {
    const path = files[0] as string;
    const source: LogSource = kind === "csv" ? { ...named, path } : { kind, path };
    return readTransactionLog({ ...given, source });
  }
  if (kind !== "csv") {
    const source: LogSource = { kind, path: named.path, files };
    return readManyParts(named.path, kind, files, () => readDecoded({ ...given, source }));
  }
  if (named.kind !== "csv") {
    throw new InputError(undefined, `${named.path}: CSV/TSV exports are read as one only as CSV`, {
      hint: "leave out --format, or pass one file",
    });
  }
  const one = (path: string) => readTransactionLog({ ...given, source: { ...named, path } });
  return readManyFiles(named.path, files, given.columns, one);
}

/** readOnce, again as Windows-1252 when a sniffed CSV turns out not to be UTF-8. */
async function readDecoded(input: LogInput): Promise<ReadLogResult> {
  const source = input.source;
  const asWindows1252 = (): Promise<ReadLogResult> =>
    readOnce({
      ...input,
      source: { ...source, encoding: "windows-1252", lineByLine: true } as LogInput["source"],
    });
  try {
    const result = await readOnce(input);
    // Bytes that are not UTF-8 past the sniffer's sample reject their lines instead of failing.
    const sniffed = source.kind === "csv" && source.encoding === undefined;
    if (sniffed && result.quality.skipped[INVALID_ENCODING.text]) return await asWindows1252();
    return result;
  } catch (error) {
    const message = (error as Error).message ?? "";
    if (source.kind === "csv" && source.encoding === undefined && isNotUtf8Error(error)) {
      return asWindows1252();
    }
    if (await lineEndsChangeMidway(source, error)) {
      return readDecoded({ ...input, source: { ...source, lineEnds: "mixed" } as LogSource });
    }
    if (error instanceof InputError || error instanceof BadRowError || !/CSV Error/.test(message)) {
      throw error;
    }
    // Any other complaint of DuckDB's CSV reader: its first lines, and what can be changed.
    throw new InputError(
      undefined,
      `${sourceName(source)}: ${message.split("\n").slice(0, 2).join(" ")}`,
      {
        hint: "pass --delimiter, --encoding or --skip-lines to match the file",
      },
    );
  }
}

/**
 * A CSV whose line ends change past the sniffer's sample where neither its head nor its tail
 * shows it: the pinned read stops there (openCsv finds the other cases before reading).
 */
async function lineEndsChangeMidway(source: LogSource, error: unknown): Promise<boolean> {
  if (source.kind !== "csv" || source.lineEnds === "mixed" || source.encoding === "utf-16") {
    return false;
  }
  // Sniffing failures come from openCsv as InputErrors, after its own pass over the file: only the
  // scan's raw error is looked into here, so a file no pass helps is not read through twice.
  if (error instanceof InputError || !isSniffFailure(error)) return false;
  // A damaged .gz fails this pass too: DuckDB's error is the one to show.
  return fileHasMixedLineEnds(source.path).catch(() => false);
}

async function readOnce(input: LogInput): Promise<ReadLogResult> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const second = await instance.connect();
  const aside = sideQueries(second);
  try {
    return await readWith(connection, input, aside);
  } finally {
    await aside.settled();
    second.closeSync();
    connection.closeSync();
    instance.closeSync();
  }
}

async function readWith(
  connection: DuckDBConnection,
  input: LogInput,
  aside: SideQueries,
): Promise<ReadLogResult> {
  const built = await buildLines(connection, input, aside);
  const { rejected, locate } = built;
  const { skipped, leftOut, amountElsewhere, examples, exampleSheets } = await skippedRows(
    connection,
    locate,
  );
  if (input.onBadRow === "fail") {
    failOnFirst(input, { examples, skipped, exampleSheets }, built.sheets, locate.position);
  }
  await connection.run(purchaseLinesSql(input.columns.order !== undefined));
  const { returns, purchases } = await applyReturns(connection, input);
  await connection.run(customersSql(purchases));
  // Table customers' checks beside the fetch of the log: both only read it.
  const idChecks = aside.start((c) =>
    customerIdChecks(c, input.columns.customerId, locate.where, input.ignoreIdCase === true),
  );
  const unseen = await unseenIdCharacters(connection);
  const [counts] = await rows(
    connection,
    `SELECT (SELECT count(*) FROM lines) AS rows,
       (SELECT count(*) FROM lines WHERE reason IS NULL AND NOT is_return AND amount = 0) AS zero,
       (SELECT count(*) FROM ${purchases}) AS purchase_rows,
       (SELECT count(*) FROM customers) AS customers`,
  );
  const customerIds = await fetchCustomerIds(connection, Number(counts?.customers));
  const log = await fetchLog(connection, purchases, Number(counts?.purchase_rows), customerIds);
  // Netted with hindsight: what a summary at an earlier cutoff must undo.
  const later =
    purchases === "purchase_days" ? await fetchLaterReturns(connection, log) : undefined;
  if (later !== undefined) log.laterReturns = later;
  const rowsRead = Number(counts?.rows) + rejected.length;
  const [first, last] = await dayRange(connection, log);
  const read = { skipped, leftOut, amountElsewhere, examples, exampleSheets, rowsRead };
  const found = { returns, zeroRows: Number(counts?.zero), unseen, ...(await idChecks) };
  return { log, quality: dataQualityOf(input, built, log, read, found, [first, last]) };
}

/** The account of the read: rows kept and skipped, and what was noticed in the file. */
function dataQualityOf(
  input: LogInput,
  built: Awaited<ReturnType<typeof buildLines>>,
  log: TransactionLog,
  read: Awaited<ReturnType<typeof skippedRows>> & { rowsRead: number },
  found: Awaited<ReturnType<typeof customerIdChecks>> & {
    returns: DataQuality["returns"];
    zeroRows: number;
    unseen: Awaited<ReturnType<typeof unseenIdCharacters>>;
  },
  [first, last]: Awaited<ReturnType<typeof dayRange>>,
): DataQuality {
  const { position, format, numberFormats, floatIds, mixedFloatIds, grouped, sides, sheets, utc } =
    built;
  const { skipped, leftOut, amountElsewhere, examples, exampleSheets, rowsRead } = read;
  const { returns, unseen, caseVariants, zeroPadded, quoted } = found;
  const orderHint = orderColumnHint(input, built.orderLike, skipped, rowsRead);
  const skippedTotal = Object.values(skipped).reduce((a, b) => a + b, 0);
  const dominant = dominantCustomer(log, input.columns.customerId);
  const gap = emptySpan(log);
  const extreme = input.noAmount ? null : extremeAmounts(log);
  return {
    rows_read: rowsRead,
    rows_kept: rowsRead - skippedTotal - leftOut,
    skipped,
    examples,
    ...(exampleSheets ? { example_sheets: exampleSheets } : {}),
    returns,
    zero_amount_rows: input.noAmount ? 0 : found.zeroRows - built.amountsReadOnce,
    customers_in_log: log.customerIds.length,
    purchase_days: log.length,
    first_date: first,
    last_date: last,
    position,
    date_format: format,
    number_formats: numberFormats,
    ...(floatIds !== null ? { float_written_ids: floatIds } : {}),
    ...(mixedFloatIds > 0 ? { mixed_float_ids: mixedFloatIds } : {}),
    ...(unseen ? { unseen_id_characters: unseen } : {}),
    ...(utc ? { utc_days: utc } : {}),
    ...(grouped ? { grouped_ids: grouped } : {}),
    ...(dominant ? { dominant_customer: dominant } : {}),
    ...(gap ? { empty_span: gap } : {}),
    ...(extreme ? { extreme_amounts: extreme } : {}),
    ...(caseVariants ? { case_variant_ids: caseVariants } : {}),
    ...(zeroPadded ? { zero_padded_ids: zeroPadded } : {}),
    ...(quoted ? { quoted_variant_ids: quoted } : {}),
    ...(sides.currencies ? { currencies: sides.currencies } : {}),
    ...(sides.statuses.length > 0 ? { not_sales: sides.statuses } : {}),
    ...(sides.quantityLike ? { quantity_like_amount: sides.quantityLike } : {}),
    ...(sides.lineTotalsRead ? { line_totals: sides.lineTotalsRead } : {}),
    ...(sides.unreadQuantity ? { unread_quantity: sides.unreadQuantity } : {}),
    ...(sides.refunds ? { refunded_amounts: sides.refunds } : {}),
    ...(amountElsewhere > 0 ? { order_lines_without_amount: amountElsewhere } : {}),
    ...(built.amountsReadOnce > 0 ? { order_amounts_read_once: built.amountsReadOnce } : {}),
    ...(built.undatedOrderLines > 0 ? { order_lines_without_date: built.undatedOrderLines } : {}),
    ...(orderHint !== null ? { order_column_hint: orderHint } : {}),
    ...(built.emptyFilters.length > 0 ? { empty_filter_columns: built.emptyFilters } : {}),
    ...(built.repeatedTotals ? { repeated_order_totals: built.repeatedTotals } : {}),
    ...(input.ignoreIdCase ? { ids_lower_cased: true } : {}),
    ...(sheets ? { sheets } : {}),
    ...built.text,
    ...(input.noAmount ? { no_amount: true } : {}),
    ...(leftOut > 0 || rowFilterOptions(input).length > 0
      ? { left_out: { filters: rowFilterOptions(input), rows: leftOut } }
      : {}),
  };
}

/**
 * What to say when many lines miss their amount and no --order-col was given: an order export
 * (Shopify's) writes an order's total on its first line only, so they may be its other lines.
 * The column named like an order's, or "" for none; null when the account needs no such line.
 */
function orderColumnHint(
  input: LogInput,
  orderLike: string | undefined,
  skipped: Record<string, number>,
  rowsRead: number,
): string | null {
  const { columns } = input;
  if (columns.order !== undefined || columns.amount === undefined) return null;
  const missing = skipped[missingValue("amount").text] ?? 0;
  if (missing < MANY_WITHOUT_AMOUNT * rowsRead) return null;
  return orderLike ?? "";
}

/** The share of lines without an amount from which the account suggests --order-col. */
const MANY_WITHOUT_AMOUNT = 0.05;

/** The first and last purchase day of a log as DuckDB writes dates (null when it is empty). */
async function dayRange(
  connection: DuckDBConnection,
  log: TransactionLog,
): Promise<[string | null, string | null]> {
  if (log.length === 0) return [null, null];
  const { first: min, last: max } = purchaseDayRange(log);
  const [r] = await rows(
    connection,
    `SELECT CAST(DATE '1970-01-01' + ${min} AS VARCHAR) AS first,
       CAST(DATE '1970-01-01' + ${max} AS VARCHAR) AS last`,
  );
  return [String(r?.first), String(r?.last)];
}

/** Checks the options, opens the source, settles the date format and builds table lines. */
async function buildLines(connection: DuckDBConnection, input: LogInput, aside: SideQueries) {
  const { columns, source } = input;
  if (columns.price !== undefined && columns.quantity === undefined) {
    throw new InputError(
      columns.price,
      "--price-col needs --quantity-col (amount = quantity × price)",
    );
  }
  if (input.amountPer === "order" && (columns.order === undefined || columns.price !== undefined)) {
    throw new InputError(
      undefined,
      "--amount-per order needs --order-col and --amount-col (an order's total, read once per order)",
      { hint: "pass --order-col naming the order id column, or leave --amount-per out" },
    );
  }
  if (columns.payment !== undefined && input.amountPer !== "order") {
    throw new InputError(
      columns.payment,
      "--payment-col needs --amount-per order (it tells an order's payments apart, each read once)",
      { hint: "pass --amount-per order with --order-col, or leave --payment-col out" },
    );
  }
  if (columns.price === undefined && columns.amount === undefined && !input.noAmount) {
    throw new InputError(
      undefined,
      "no amount: pass --amount-col, or --quantity-col and --price-col (or --amount-col none for a log without amounts)",
    );
  }
  const timezone = input.timezone ?? "UTC";
  try {
    // The second connection too: it reads the source beside the first (sideQueries).
    for (const c of [connection, aside.connection]) {
      await c.run(`SET TimeZone = ${sqlString(timezone)}`);
    }
  } catch {
    throw new InputError(undefined, `--timezone: unknown time zone "${timezone}"`, {
      hint: TIME_ZONE_HINT,
    });
  }
  const loaded = await loadSource(connection, source, columns, timezone, aside.connection);
  try {
    return await linesFrom(connection, input, loaded, aside);
  } finally {
    await aside.settled();
    await loaded.close?.();
  }
}

/**
 * Queries on the second connection that read the source or a table beside the first connection's
 * work (a CSV's scan into table lines keeps one core busy): each is awaited where its value is
 * needed, and all before the source is closed and before the connections are, so that none
 * outlives its connection or the file copy it reads. An error is thrown where the value is
 * awaited, as if the query had run there.
 */
function sideQueries(second: DuckDBConnection) {
  const started: Promise<unknown>[] = [];
  return {
    connection: second,
    start<T>(query: (c: DuckDBConnection) => Promise<T>): Promise<T> {
      const result = query(second);
      started.push(result.catch(() => {}));
      return result;
    },
    settled: () => Promise.all(started),
  };
}

type SideQueries = ReturnType<typeof sideQueries>;

/** Settles the date and number formats, then builds table lines from the loaded source. */
async function linesFrom(
  connection: DuckDBConnection,
  input: LogInput,
  loaded: LoadedSource,
  aside: SideQueries,
) {
  const { columns, source } = input;
  let rejected: RejectedRecord[] = []; // known once the scan has run
  const locate = lineLocator(input, loaded, () => rejected);
  const position = locate.position;
  const describe = locate.where;
  const dateType = loaded.types.get(columns.date) ?? "VARCHAR";
  if (input.dateFormat !== undefined)
    await checkDateFormat(connection, input.dateFormat, columns.date);
  const date = {
    table: loaded.peek,
    column: sqlIdentifier(columns.date),
    columnName: columns.date,
    source: sourceName(source),
    latest: latestPurchaseDate(todayOf(input.today)),
  };
  const typed = /^(DATE|TIMESTAMP)/.test(dateType);
  const sniff = (c: DuckDBConnection) => sniffDates(c, date, describe);
  const samples = await samplesOf(connection, input, loaded, aside, typed ? null : sniff);
  const { numbers, floatIds, colonInFirstRows } = samples;
  let format = samples.format;
  const buildLinesTable = linesTableBuilder(connection, input, loaded, numbers, floatIds !== null);
  // Instants without --timezone: read as UTC days, which the account says (utc-days.ts). Its
  // sample of the source's first rows is read beside the lines scan; its SQL depends only on
  // whether the layout is epoch, which moreDateLayouts never changes.
  const utcSoon = input.timezone
    ? null
    : aside.start((c) => utcDays(c, loaded.peek, columns.date, format, colonInFirstRows));
  await buildLinesTable(format);
  // Dates in another layout past the sniffer's sample (a second export joined): read them too.
  if (format !== null && input.dateFormat === undefined) {
    const wider = await moreDateLayouts(connection, date, format);
    if (wider !== format) {
      format = wider;
      await buildLinesTable(format);
    }
  }
  // Sniffed (a format passed is the user's word): a run of dates in the other day order stops it.
  if (format !== null && input.dateFormat === undefined) {
    await failOnOtherDayOrder(connection, columns.date, format, describe);
  }
  if (input.timezone !== undefined && format !== null) {
    await failOnZoneNames(connection, columns.date, describe);
  }
  rejected = await loaded.rejected();
  await failOnMixedNumbers(connection, input, loaded.peek, numbers.byRole, describe);
  const mixedFloats = floatIds === null ? await mixedFloatIds(connection) : null;
  if (mixedFloats) await connection.run(WHOLE_NUMBER_LINE_IDS_SQL);
  const grouped = await groupedIds(connection);
  const settled = await settleOrderLines(connection, input, describe, [...loaded.types.keys()]);
  await failWhenAllLeftOut(connection, input, loaded.peek);
  const sides = await sideColumns(connection, loaded, input);
  // A --date-format that reads no date: the layout the sniffer finds is the hint.
  const sniffed = () => sniffDateFormat(connection, date, describe).catch(() => null);
  // A --decimal-separator that reads no value: the format the column reads in is the hint.
  const separator = (column: string, what: string) =>
    input.decimalSeparator
      ? givenSeparatorHint(connection, loaded.peek, column, what, input.decimalSeparator)
      : Promise.resolve(null);
  await failWhenNothingReadable(connection, input, { locate, rejected, sniffed, separator });
  await failWhenGivenDateFormatMostlyFails(connection, input, { locate, sniffed });
  const utc = await utcSoon;
  // The order-level checks sample `loaded.peek`, which is table raw for a PostgreSQL, workbook or
  // --query source: before the drop, or such a source with an order-like column failed with
  // "Table with name raw does not exist".
  const orders = await orderLevelNotes(connection, input, loaded, settled, describe);
  await connection.run("DROP TABLE IF EXISTS raw");
  const sheets = loaded.sheets;
  const text = textNotes(loaded);
  const numberFormats = numbers.shown;
  const ids = mixedFloats
    ? { floatIds: mixedFloats.example[1], mixedFloatIds: mixedFloats.ids }
    : { floatIds, mixedFloatIds: 0 };
  const result = { position, format, numberFormats, ...ids, sides, sheets, text, rejected, locate };
  return { ...result, grouped, utc, ...orders };
}

/**
 * The date format (`sniff`'s, or the one given; null for a typed column), the number formats and
 * the float-written id example, each settled on the source's first rows: the date sniffer and the
 * id sample on the second connection, beside the number-format checks on the first. An error is
 * thrown in the order the checks ran in one after another: the date's first. `colonInFirstRows`:
 * what the date sniffer's sample says of times of day, when it ran.
 */
async function samplesOf(
  connection: DuckDBConnection,
  input: LogInput,
  loaded: LoadedSource,
  aside: SideQueries,
  sniff: ((c: DuckDBConnection) => Promise<SniffedDates>) | null,
) {
  const given = input.dateFormat;
  let sniffedSoon: Promise<SniffedDates | null> = Promise.resolve(null);
  if (sniff !== null && given === undefined) sniffedSoon = aside.start(sniff);
  const formatSoon = sniffedSoon.then((s) =>
    sniff === null ? null : (s?.format ?? given ?? null),
  );
  const floatIdsSoon = aside.start(async (c) => {
    await formatSoon.catch(() => {});
    return floatWrittenIdExample(c, loaded.peek, input.columns.customerId);
  });
  const numbersSoon = (async () => {
    await failOnMinorUnits(connection, loaded.peek, loaded.types, input);
    const numbers = await numberFormatsOf(connection, input, loaded);
    await failOnFloatTypedIds(connection, loaded.peek, loaded.types, input.columns.customerId);
    return numbers;
  })();
  numbersSoon.catch(() => {}); // awaited below, after the date's
  try {
    const format = await formatSoon;
    const colonInFirstRows = (await sniffedSoon)?.colonInFirstRows;
    return { format, colonInFirstRows, numbers: await numbersSoon, floatIds: await floatIdsSoon };
  } finally {
    await numbersSoon.catch(() => {});
  }
}

/** Builds table lines with a date layout (run again when more layouts are found). */
function linesTableBuilder(
  connection: DuckDBConnection,
  input: LogInput,
  loaded: LoadedSource,
  numbers: Awaited<ReturnType<typeof numberFormatsOf>>,
  floatWrittenIds: boolean,
) {
  const { columns } = input;
  return (dateFormat: string | null) =>
    connection.run(
      linesSql({
        columns,
        floatWrittenIds,
        ...(input.ignoreIdCase ? { ignoreIdCase: true } : {}),
        // With row filters every column is read as text, so that a row they leave out is never
        // rejected by the reader for its amount (an event row with "n/a"); the SQL casts instead.
        from: loaded.scan(rowFilterOptions(input).length > 0 ? [] : numbers.plain),
        dayExpression: dayExpression(
          columns.date,
          loaded.types.get(columns.date) ?? "VARCHAR",
          dateFormat,
          input.timezone !== undefined,
        ),
        numberFormats: numbers.byRole,
        ...(input.creditIs ? { creditIs: input.creditIs } : {}),
        ...(input.amountUnit === "minor"
          ? { minorUnits: minorUnitsSql(currencyColumn(loaded.types, columns.amount)) }
          : {}),
        ...cancel(input, [...loaded.types.keys()]),
        ...(input.keepValues ? { keepValues: input.keepValues } : {}),
        ...(input.dropValues ? { dropValues: input.dropValues } : {}),
        ...(input.returnValues ? { returnValues: input.returnValues } : {}),
        ...(loaded.header ? { headerNames: [...loaded.types.keys()] } : {}),
        today: todayOf(input.today),
      }),
    );
}

/** What the account says of orders: lines read by their order, and order-level columns. */
async function orderLevelNotes(
  connection: DuckDBConnection,
  input: LogInput,
  loaded: LoadedSource,
  settled: Awaited<ReturnType<typeof settleOrderLines>>,
  describe: (rowid: number) => Promise<string>,
) {
  const orderLike = suggestedColumns("order", "order", [...loaded.types.keys()])[0];
  const emptyFilters = await emptyFilterColumns(connection, input, orderLike, describe);
  const repeatedTotals =
    settled.repeated ?? (await repeatedTotalsInSample(connection, loaded.peek, input, orderLike));
  const orderLines = { amountsReadOnce: settled.once, undatedOrderLines: settled.undated };
  return { orderLike, ...orderLines, emptyFilters, repeatedTotals };
}

/** What the side columns say about the rows (currencies, statuses, quantities, refunds). */
async function sideColumns(connection: DuckDBConnection, loaded: LoadedSource, input: LogInput) {
  const { peek, types } = loaded;
  const currencies = await currencyMix(connection, peek, types, input);
  const statuses = await notSales(connection, peek, types, input);
  const quantityLike = await quantityLikeAmount(connection, peek, types, input);
  const refunds = await refundedAmounts(connection, peek, types, input);
  const lineTotalsRead = await lineTotals(connection, peek, types, input);
  const unread = lineTotalsRead ? null : await unreadQuantity(connection, peek, types, input);
  return { currencies, statuses, quantityLike, refunds, lineTotalsRead, unreadQuantity: unread };
}

/** A --query over files: its text, the files it read and how those not plain UTF-8 were decoded. */
function queryNotes(query: NonNullable<LoadedSource["query"]>) {
  const decoded = Object.keys(query.decoded).length > 0 ? { file_encodings: query.decoded } : {};
  const titles = query.aboveHeader;
  const above = Object.keys(titles).length > 0 ? { file_lines_above_header: titles } : {};
  return { query: query.text, files: query.files, ...decoded, ...above };
}

/** How a text file was read, when it is not plain UTF-8 with the header on line 1. */
function textNotes(loaded: LoadedSource) {
  const notUtf8 = loaded.windows1252Lines;
  return {
    ...(loaded.encoding ? { encoding: loaded.encoding } : {}),
    ...(notUtf8
      ? { windows_1252_lines: notUtf8.windows1252, windows_1252_line_examples: notUtf8.examples }
      : {}),
    ...(loaded.skipLines ? { lines_above_header: loaded.skipLines } : {}),
    ...(loaded.mixedLineEnds ? { mixed_line_ends: true } : {}),
    ...(loaded.query ? queryNotes(loaded.query) : {}),
  };
}

/**
 * Each numeric column read in a sniffed format: stops the read when the other format reads values
 * it left unread (number-format.ts; a --decimal-separator given is the user's choice), and when
 * an amount or price column's signs name several currencies (currency-mix.ts).
 */
async function failOnMixedNumbers(
  connection: DuckDBConnection,
  input: LogInput,
  table: string,
  byRole: Partial<Record<NumericRole, NumberFormat>>,
  describe: (rowid: number) => Promise<string>,
): Promise<void> {
  for (const [role, format] of Object.entries(byRole) as Array<[NumericRole, NumberFormat]>) {
    const columnName = input.columns[role];
    if (format === "plain" || columnName === undefined || role === "quantity") continue;
    const column = { column: sqlIdentifier(columnName), columnName };
    await failOnMixedCurrencySigns(connection, table, column, describe, input.signCurrency);
    if (input.creditIs === undefined) await failOnCreditMarks(connection, table, column, describe);
  }
  if (input.decimalSeparator) return;
  for (const [role, format] of Object.entries(byRole) as Array<[NumericRole, NumberFormat]>) {
    const columnName = input.columns[role];
    if (format === "plain" || columnName === undefined) continue;
    const reason = unreadableValue(role).text;
    const read = { role, column: sqlIdentifier(columnName), columnName, format, reason };
    await failOnMixedNumberFormats(connection, table, read, describe);
  }
}

/**
 * With an order column: lines that leave the filter columns empty follow their order, and lines
 * without an amount whose order has one are part of it (transactions-sql.ts says why).
 */
async function settleOrderLines(
  connection: DuckDBConnection,
  input: LogInput,
  describe: (rowid: number) => Promise<string>,
  names: string[],
): Promise<{ undated: number; once: number; repeated: RepeatedTotalsHint | null }> {
  const { columns } = input;
  const none = { once: 0, repeated: null };
  if (columns.order === undefined) return { undated: 0, ...none };
  if (rowFilterOptions(input).length > 0) await connection.run(orderFiltersSql(columns));
  await failOnReusedOrderIds(connection, columns.order, describe);
  const undated = await dateOnAnotherLine(connection);
  if (columns.amount === undefined || columns.price !== undefined) return { undated, ...none };
  // Only a log with lines missing their amount pays for the join over orders.
  const [missing] = await rows(
    connection,
    `SELECT count(*) AS n FROM lines WHERE reason = ${sqlString(missingValue("amount").text)}`,
  );
  if (Number(missing?.n) > 0) await connection.run(amountOnAnotherLineSql());
  if (input.amountPer === "order") {
    const once = await orderTotalsOnce(connection, columns.payment !== undefined);
    return { undated, once, repeated: null };
  }
  if (input.amountPer === "line") return { undated, ...none };
  const read = { column: columns.amount, order: columns.order };
  return {
    undated,
    once: 0,
    repeated: await repeatedOrderTotals(connection, read, names, describe),
  };
}

/** Dates lines without a date by their order (dateOnAnotherLineSql): how many it dated. */
async function dateOnAnotherLine(connection: DuckDBConnection): Promise<number> {
  // Only a log with lines missing their date pays for the join over orders.
  const [missing] = await rows(
    connection,
    `SELECT count(*) AS n FROM lines WHERE reason = ${sqlString(MISSING_DATE.text)}`,
  );
  if (Number(missing?.n) === 0) return 0;
  return (await connection.run(dateOnAnotherLineSql())).rowsChanged;
}

/** LogInput.today checked, or the clock's today (UTC). */
function todayOf(today: string | undefined): string {
  const day = today ? isoDateToDay(today) : Math.floor(Date.now() / 86_400_000);
  if (Number.isNaN(day)) throw new RangeError(`today: not a YYYY-MM-DD date: ${today}`);
  return dayToIsoDate(day);
}

/**
 * How each numeric role's column is written: typed columns and columns of plain numbers are
 * plain (a CSV reader parses those itself); text columns such as "$1,234.50" or "12,50" are
 * sniffed. `shown` lists the columns that are not plain, for the data-quality account.
 */
async function numberFormatsOf(
  connection: DuckDBConnection,
  input: LogInput,
  loaded: LoadedSource,
) {
  const given = input.decimalSeparator ? DECIMAL_SEPARATORS[input.decimalSeparator] : undefined;
  const byRole: Partial<Record<NumericRole, NumberFormat>> = {};
  const shown: Record<string, string> = {};
  const plain: string[] = [];
  const roles = (["amount", "quantity", "price"] as const).filter((r) => input.columns[r]);
  const text = roles.filter((r) => loaded.types.get(input.columns[r] as string) === "VARCHAR");
  const sampled = await plainInSample(
    connection,
    loaded.peek,
    text.map((r) => sqlIdentifier(input.columns[r] as string)),
  );
  for (const role of roles) {
    const column = input.columns[role] as string;
    const seen = sampled[text.indexOf(role)];
    // Amounts of whole numbers in the sample (forints, kronor) may be grouped by a point later on.
    const undecided = seen?.groupedByPoint || (seen?.dotted === false && role !== "quantity");
    if (seen?.plain && undecided && given === undefined) {
      await failOnGroupedByPoint(connection, loaded.peek, sqlIdentifier(column), column);
    }
    const format =
      seen === undefined || (seen.plain && given !== "comma")
        ? "plain"
        : await sniffNumberFormat(connection, loaded.peek, sqlIdentifier(column), column, given);
    byRole[role] = format;
    if (format === "plain") plain.push(column);
    else shown[column] = NUMBER_FORMAT_EXAMPLE[format];
  }
  return { byRole, shown, plain };
}

/**
 * Skipped rows by reason, with the first few as line numbers; and the rows the row filters left
 * out, which are not bad rows.
 */
async function skippedRows(connection: DuckDBConnection, locate: ReturnType<typeof lineLocator>) {
  const skipped: Record<string, number> = {};
  const exampleRows: Record<string, number[]> = {};
  let leftOut = 0;
  let amountElsewhere = 0;
  for (const r of await rows(
    connection,
    `SELECT reason, count(*) AS n, list(rowid ORDER BY rowid)[1:${EXAMPLES_PER_REASON}] AS ex
     FROM lines WHERE reason IS NOT NULL GROUP BY reason ORDER BY min(rowid)`,
  )) {
    if (r.reason === LEFT_OUT_BY_FILTER) {
      leftOut = Number(r.n);
      continue;
    }
    if (r.reason === AMOUNT_ON_ANOTHER_LINE) {
      amountElsewhere = Number(r.n);
      continue;
    }
    skipped[String(r.reason)] = Number(r.n);
    exampleRows[String(r.reason)] = (r.ex as (number | bigint)[]).map(Number);
  }
  const examples = await locate.examples(exampleRows, skipped);
  const exampleSheets = locate.sheets(exampleRows);
  return { skipped, leftOut, amountElsewhere, examples, exampleSheets };
}

/**
 * Counts the returns and, under "net" when there are any, subtracts them from the purchase days;
 * `purchases` names the relation to read the purchases from (lines, or days net of returns).
 */
async function applyReturns(
  connection: DuckDBConnection,
  input: LogInput,
): Promise<{ returns: DataQuality["returns"]; purchases: string }> {
  const mode = input.returns ?? "net";
  const byOrder = input.columns.order !== undefined;
  const [ret] = await rows(
    connection,
    `SELECT count(*) AS n, coalesce(sum(abs(amount)), 0) AS value FROM lines
     WHERE reason IS NULL AND is_return`,
  );
  let matched = 0;
  let unmatched = 0;
  let excess = 0;
  let cancelledDays = 0;
  let purchases = "purchase_lines";
  if (mode === "net" && Number(ret?.n) > 0) {
    await connection.run(PURCHASE_DAYS_SQL);
    for (const sql of netReturnsSql(byOrder, input.cancelPattern)) await connection.run(sql);
    const [m] = await rows(
      connection,
      `SELECT count(*) FILTER (WHERE by_order) AS matched,
         count(*) FILTER (WHERE day IS NULL) AS unmatched,
         (SELECT value FROM return_excess) AS excess,
         (SELECT count(*) FROM cancelled_days) AS cancelled FROM return_targets`,
    );
    matched = Number(m?.matched);
    unmatched = Number(m?.unmatched);
    excess = Number(m?.excess);
    cancelledDays = Number(m?.cancelled);
    purchases = "purchase_days";
  }
  const unmatchedPattern = await cancelPatternUnmatched(connection, input.cancelPattern);
  // Rounded to a millionth: the sum of cents must not print as 229.49999999999983.
  const money = (v: number) => Math.round(v * 1e6) / 1e6;
  const returns = {
    rows: Number(ret?.n),
    amount: money(Number(ret?.value)),
    mode,
    matched_orders: matched,
    unmatched,
    ...(excess > 0 ? { excess: money(excess) } : {}),
    ...(cancelledDays > 0 ? { cancelled_purchase_days: cancelledDays } : {}),
    ...(unmatchedPattern ? { cancel_pattern_unmatched: unmatchedPattern } : {}),
  };
  return { returns, purchases };
}

/**
 * A --cancel-pattern that matches no order id of the lines read (a wrong pattern, or another
 * export's): the pattern and a return line's order id (the likely form of a cancellation's).
 */
async function cancelPatternUnmatched(connection: DuckDBConnection, pattern: string | undefined) {
  if (pattern === undefined) return null;
  const [r] = await rows(
    connection,
    `SELECT count(*) FILTER (WHERE regexp_matches(coalesce(order_id, ''), ${sqlString(pattern)})) AS n,
       arg_min(order_id, rowid) FILTER (WHERE is_return AND order_id IS NOT NULL) AS example
     FROM lines WHERE reason IS NULL`,
  );
  if (Number(r?.n) > 0) return null;
  return { pattern, example: r?.example == null ? null : String(r.example) };
}

function cancel(input: LogInput, names: string[]): { cancelPattern?: string } {
  if (input.cancelPattern === undefined) return {};
  try {
    new RegExp(input.cancelPattern);
  } catch (error) {
    throw new InputError(input.columns.order, `--cancel-pattern: ${(error as Error).message}`);
  }
  if (input.columns.order === undefined) {
    const [order] = suggestedColumns("order", "order", names);
    throw new InputError(
      undefined,
      "--cancel-pattern needs --order-col (the pattern is matched on the order id)",
      {
        hint: order
          ? `pass ${optionWithColumn("--order-col", order)}`
          : "pass --order-col naming the column that holds the order id",
      },
    );
  }
  return { cancelPattern: input.cancelPattern };
}

/** Turns DuckDB row ids and reject lines into line numbers (one extra pass, only when needed). */
function lineLocator(
  input: LogInput,
  loaded: Pick<LoadedSource, "header" | "rowNumber" | "rowSheet" | "skipLines" | "types">,
  rejects: () => RejectedRecord[],
) {
  const source = input.source;
  const headerNames = loaded.header ? [...loaded.types.keys()] : [];
  const position: "line" | "row" = source.kind === "csv" ? "line" : "row";
  const rowSheet = loaded.rowSheet;
  const header = loaded.header;
  const skip = loaded.skipLines ?? 0;
  const rowNumber = loaded.rowNumber ?? ((rowid: number) => rowid + 1);
  const lineOf = async (rowids: number[]): Promise<Map<number, number>> => {
    if (source.kind !== "csv") return new Map(rowids.map((r) => [r, rowNumber(r)]));
    const rejected = new Set(rejects().map((r) => r.line));
    const maps = await physicalLines(source.path, { header, rejected, rowids, skip });
    return maps.rows;
  };
  const one = async (rowid: number) => (await lineOf([rowid])).get(rowid) ?? rowid + 1;
  return {
    /** What a position is called: "line" in a text file, "row" in a table or a sheet. */
    position,
    one,
    /** "line 9", or "sheet "2011" row 9" in a workbook read from several sheets. */
    where: async (rowid: number) =>
      `${rowSheet ? `sheet ${JSON.stringify(rowSheet(rowid))} ` : ""}${position} ${await one(rowid)}`,
    /** A workbook read from several sheets: the sheet of each example row; else undefined. */
    sheets: (byReason: Record<string, number[]>) =>
      rowSheet &&
      Object.fromEntries(Object.entries(byReason).map(([r, ids]) => [r, ids.map(rowSheet)])),
    /** A rejected record's physical line. */
    record: async (line: number): Promise<number> => {
      if (source.kind !== "csv") return line;
      const rejected = new Set(rejects().map((r) => r.line));
      const maps = await physicalLines(source.path, { header, rejected, rowids: [], skip });
      return maps.records.get(line) ?? line;
    },
    /** Examples by reason as line numbers; rejected records are added as their own reasons. */
    examples: async (
      byReason: Record<string, number[]>,
      skipped: Record<string, number>,
    ): Promise<Record<string, number[]>> => {
      const all = Object.values(byReason).flat();
      const lines = all.length > 0 ? await lineOf(all) : new Map<number, number>();
      const out: Record<string, number[]> = {};
      for (const [reason, ids] of Object.entries(byReason)) {
        out[reason] = ids.map((r) => lines.get(r) ?? r + 1);
      }
      const rejected = rejects();
      if (rejected.length > 0 && source.kind === "csv") {
        const maps = await physicalLines(source.path, {
          header,
          rejected: new Set(rejected.map((r) => r.line)),
          rowids: [],
          skip,
        });
        for (const r of rejected) {
          const reason = rejectReason(r, input.columns, headerNames).text;
          skipped[reason] = (skipped[reason] ?? 0) + 1;
          const list = out[reason] ?? [];
          if (list.length < EXAMPLES_PER_REASON) list.push(maps.records.get(r.line) ?? r.line);
          out[reason] = list;
        }
      }
      return out;
    },
  };
}

/**
 * Row filters that leave out every row were given values not written in the file (case, spaces,
 * another column): say which values the column holds.
 */
async function failWhenAllLeftOut(
  connection: DuckDBConnection,
  input: LogInput,
  peek: string,
): Promise<void> {
  const filters = rowFilterOptions(input);
  if (filters.length === 0) return;
  const [r] = await rows(
    connection,
    `SELECT count(*) AS n, count(*) FILTER (WHERE reason = ${sqlString(LEFT_OUT_BY_FILTER)}) AS out FROM lines`,
  );
  if (!r || Number(r.n) === 0 || Number(r.out) < Number(r.n)) return;
  const column = (input.columns.keepBy ?? input.columns.dropBy) as string;
  const seen = await rows(
    connection,
    `SELECT v, count(*) AS n FROM (SELECT ${columnText(column)} AS v
       FROM ${peek}) AS s GROUP BY v ORDER BY n DESC, v LIMIT 8`,
  );
  const values = seen
    .map((v) => `${v.v === null ? "(empty)" : JSON.stringify(v.v)} (${Number(v.n)} rows)`)
    .join(", ");
  throw new InputError(
    column,
    `${sourceName(input.source)}: every row is left out by ${filters.join(" and ")}; ` +
      `column "${column}" holds ${values}`,
    { hint: "pass the values as the file writes them (case and spaces count)" },
  );
}

/** A skipped row's condition: a reason that is not the row filters'. */
const BAD = `reason IS NOT NULL AND reason NOT IN (${sqlString(LEFT_OUT_BY_FILTER)}, ${sqlString(AMOUNT_ON_ANOTHER_LINE)})`;

/** Every row skipped for the same reason means the options are wrong: say which to pass. */
async function failWhenNothingReadable(
  connection: DuckDBConnection,
  input: LogInput,
  read: {
    locate: ReturnType<typeof lineLocator>;
    rejected: RejectedRecord[];
    /** The date layout the sniffer finds, for a --date-format that read none. */
    sniffed: () => Promise<string | null>;
    /** The hint for a --decimal-separator that read none of a column (column, values' name). */
    separator: (column: string, what: string) => Promise<string | null>;
  },
): Promise<void> {
  const { locate, rejected } = read;
  const [r] = await rows(
    connection,
    `SELECT count(*) AS n, count(*) FILTER (WHERE reason IS NULL) AS ok,
       mode(reason) FILTER (WHERE ${BAD}) AS reason, min(rowid) FILTER (WHERE ${BAD}) AS first
     FROM lines`,
  );
  if (!r || Number(r.ok) > 0) return;
  if (Number(r.n) + rejected.length === 0) throw emptyLogError(sourceName(input.source));
  let reason = skipReasonOf(input, String(r.reason));
  let where = "";
  if (Number(r.n) >= rejected.length) {
    where = `${sourceName(input.source)}: ${await locate.where(Number(r.first))}`;
  } else {
    // Every row was rejected by the reader itself (e.g. an amount column of "$12.50").
    const first = rejected[0] as RejectedRecord;
    reason = rejectReason(first, input.columns);
    where = `${sourceName(input.source)}: line ${await locate.record(first.line)}`;
  }
  const column = columnOf(reason, input.columns);
  const given = input.dateFormat;
  const layout = reason.text === UNREADABLE_DATE.text && given ? await read.sniffed() : null;
  const role = /^unreadable (amount|quantity|price)$/.exec(reason.text)?.[1];
  const separator = column && role ? await read.separator(column, `${role}s`) : null;
  const hint =
    layout && layout !== given
      ? `--date-format '${given}' reads none of the dates; they read as '${layout}': pass --date-format '${layout}', or leave it out`
      : (separator ?? reason.hint ?? "check the column options");
  throw new InputError(
    column,
    `${where}: every row is skipped: ${reason.text}${column ? ` (column "${column}")` : ""}`,
    { hint },
  );
}

/**
 * A --date-format that leaves more dates unreadable than it reads, where the sniffer finds another
 * layout: day and month swapped (dd/mm read as mm/dd reads days 1-12 only, each as the wrong day).
 * It trained on 4,488 of 11,244 lines, their days and months swapped, with exit 0.
 */
async function failWhenGivenDateFormatMostlyFails(
  connection: DuckDBConnection,
  input: LogInput,
  read: { locate: ReturnType<typeof lineLocator>; sniffed: () => Promise<string | null> },
): Promise<void> {
  const given = input.dateFormat;
  if (given === undefined) return;
  const unreadable = sqlString(UNREADABLE_DATE.text);
  const [r] = await rows(
    connection,
    `SELECT count(*) FILTER (WHERE reason IS NULL) AS ok,
       count(*) FILTER (WHERE reason = ${unreadable}) AS bad,
       min(rowid) FILTER (WHERE reason = ${unreadable}) AS first,
       arg_min(unread_date, rowid) FILTER (WHERE reason = ${unreadable}) AS value
     FROM lines`,
  );
  const [ok, bad] = [Number(r?.ok), Number(r?.bad)];
  if (!r || !(bad > ok)) return;
  const layout = await read.sniffed();
  if (layout === null || layout === given) return;
  const where = await read.locate.where(Number(r.first));
  const count = (x: number) => x.toLocaleString("en-US");
  throw new InputError(
    input.columns.date,
    `--date-format '${given}' leaves ${count(bad)} dates unreadable and reads ${count(ok)}, ` +
      `e.g. "${String(r.value)}" (${sourceName(input.source)}: ${where}); the dates read as '${layout}'`,
    { hint: `pass --date-format '${layout}', or leave it out to have it found` },
  );
}

/** The reason with these words, among those a read of `input` can give. */
function skipReasonOf(input: LogInput, text: string): SkipReason {
  return skipReasons(todayOf(input.today)).get(text) ?? { text };
}

/** Under --on-bad-row fail: the earliest skipped row, as a BadRowError. */
function failOnFirst(
  input: LogInput,
  found: {
    examples: Record<string, number[]>;
    skipped: Record<string, number>;
    exampleSheets: Record<string, string[]> | undefined;
  },
  sheets: { read: string[] } | undefined,
  position: "line" | "row",
): void {
  const { examples, skipped, exampleSheets } = found;
  // Read order: by sheet (in the order read), then by line or row.
  const sheetRank = (reason: string) =>
    sheets?.read.indexOf(exampleSheets?.[reason]?.[0] ?? "") ?? 0;
  let first: { reason: string; sheet: number; line: number } | null = null;
  for (const [reason, lines] of Object.entries(examples)) {
    const line = lines[0];
    if (line === undefined) continue;
    const sheet = sheetRank(reason);
    if (first === null || sheet < first.sheet || (sheet === first.sheet && line < first.line)) {
      first = { reason, sheet, line };
    }
  }
  if (first === null || Object.keys(skipped).length === 0) return;
  const field = columnOf(skipReasonOf(input, first.reason), input.columns);
  const sheet = exampleSheets?.[first.reason]?.[0];
  // What to do instead: how common the problem is, and that the default skips and counts it.
  const n = (v: number) => v.toLocaleString("en-US");
  const total = Object.values(skipped).reduce((a, b) => a + b, 0);
  const same = skipped[first.reason] ?? 0;
  const instead =
    `${n(same)} ${same === 1 ? "row has" : "rows have"} this problem (${n(total)} bad ` +
    `${total === 1 ? "row" : "rows"} in all): leave out --on-bad-row fail to skip them and count them in the account`;
  const hint = input.source.kind === "query" ? `${findQueryRow(first.line)}; ${instead}` : instead;
  throw new BadRowError(
    `${sourceName(input.source)}${sheet !== undefined ? ` sheet ${JSON.stringify(sheet)}` : ""}`,
    {
      line: first.line,
      ...(field ? { field } : {}),
      message: first.reason,
    },
    {
      position,
      hint,
    },
  );
}

/**
 * How to find a query's row in the files: its number is in the order the result came (a join's
 * may change from run to run), and the views' files have no line to carry through a join.
 */
function findQueryRow(row: number): string {
  return `row ${row.toLocaleString("en-US")} of the query's result, in the order DuckDB returned it (without ORDER BY in the query a join's order may differ from run to run): see it with the query followed by LIMIT 1 OFFSET ${row - 1} in duckdb (each file a read_csv), or read the file it came from alone, without --query, to have its line named; --on-bad-row skip (the default) skips and counts such rows`;
}
