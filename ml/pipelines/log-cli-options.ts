// The log input options of the DuckDB input layer (source, column roles, dates, returns), added
// to a command in one call and turned back into the pipeline's options in one place: `ml train`
// takes them with --data and --format (addTransactionLogOptions), as `ml track` and
// `ml campaign report` do.

import { plainWholeNumberFrom } from "@pp/shared/contracts/plain-decimal.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  CSV_ENCODINGS,
  type CsvEncoding,
  LOG_FORMATS,
  type LogFormat,
  refuseFormatWithQuery,
  sourceFromArguments,
} from "../data/input/log-input.ts";
// Types only: the readers are loaded when a command reads a log, not when `ml` starts.
import type { LogReadOptions, LogRequest } from "./read-log.ts";
import type { DataFormat } from "./train-models.ts";

/** --skip-lines: a title block is a few lines; 1e308 or -1 is a mistake, said so. */
function lineCount(value: string): number {
  const n = plainWholeNumberFrom(value);
  if (n === null || n < 0 || n > 10_000) {
    throw new InvalidArgumentError(
      `expected a whole number of lines 0..10000, got ${shownText(value)}`,
    );
  }
  return n;
}

interface RowFilter {
  column: string;
  values: string[];
}

/**
 * --keep-rows / --drop-rows: COLUMN=VALUE[,VALUE…]. Given again on its column, the values add up
 * (a second one silently replaced the first); the read holds one column per option, so another
 * column is refused rather than dropped.
 */
function rowFilter(value: string, previous: RowFilter | undefined): RowFilter {
  const at = value.indexOf("=");
  const column = value.slice(0, at).trim();
  const values = value
    .slice(at + 1)
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (at < 0 || column === "" || values.length === 0) {
    throw new InvalidArgumentError(
      `expected COLUMN=VALUE[,VALUE…], e.g. event=transaction, got ${shownText(value)}`,
    );
  }
  if (previous === undefined) return { column, values };
  if (previous.column !== column) {
    throw new InvalidArgumentError(
      `one column per option, and ${JSON.stringify(previous.column)} is given before ` +
        `${JSON.stringify(column)}: give a column's values once (comma-separated), filter the ` +
        "other column with the other option (--keep-rows the values to read, --drop-rows those " +
        "to leave out), or filter the file first",
    );
  }
  return { column, values: [...new Set([...previous.values, ...values])] };
}

export function addLogInputOptions(command: Command): Command {
  return addAmountOptions(command)
    .option("--table <name>", "with --data postgres://…: the table to read")
    .option(
      "--query <sql>",
      "with --data postgres://…: the SELECT to read; with --data FOLDER (or a file): a DuckDB SELECT over its files, each a table named by its file",
    )
    .option(
      "--delimiter <char>",
      "CSV delimiter (sniffed when omitted; 'tab' for TSV; with --query, of every CSV it reads)",
    )
    .addOption(
      new Option(
        "--encoding <name>",
        "CSV text encoding (sniffed when omitted: UTF-16 by its mark, else UTF-8, else Windows-1252)",
      ).choices(CSV_ENCODINGS),
    )
    .option(
      "--skip-lines <n>",
      "CSV lines above the header, e.g. a report title (found by the column names when omitted; with --query, in every CSV it reads)",
      lineCount,
    )
    .option(
      "--sheet <name>",
      "with an .xlsx workbook: read only this sheet (default: every sheet with the columns)",
    )
    .option("--price-col <name>", "column of the unit price (amount = quantity × price)")
    .option("--order-col <name>", "column of the order / invoice id (its lines are one purchase)")
    .option(
      "--date-format <strftime>",
      "how dates are written, e.g. '%m/%d/%Y %H:%M', or epoch, epoch_ms, epoch_us, epoch_ns, excel, excel1904, 'days since YYYY-MM-DD', dotnet (/Date(ms)/) (sniffed when omitted)",
    )
    .addOption(
      new Option(
        "--decimal-separator <char>",
        "numbers such as 1.234,56 (',') or 1,234.56 ('.'); sniffed when omitted",
      ).choices([".", ","]),
    )
    .option("--timezone <zone>", "the shop's IANA time zone for timestamps with an offset")
    .option("--cancel-pattern <regex>", "order ids of cancellations, e.g. '^C' (needs --order-col)")
    .option(
      "--keep-rows <column=values>",
      "read only rows whose column holds one of these comma-separated values, e.g. event=transaction",
      rowFilter,
    )
    .option(
      "--drop-rows <column=values>",
      "leave out rows whose column holds one of these values, e.g. status=cancelled,refunded",
      rowFilter,
    )
    .option(
      "--return-rows <column=values>",
      "rows whose column holds one of these values are returns, whatever their sign (a till's Type=Return rows written positive)",
      rowFilter,
    )
    .option(
      "--ignore-id-case",
      "customer ids compared without case and read lower-cased (e-mail addresses as customers typed them)",
    )
    .addOption(
      new Option("--returns <mode>", "returns: subtract from spend, or ignore")
        .choices(["net", "drop"])
        .default("net"),
    );
}

/** How the amount column is read: its unit, what one amount is for, its marks and signs. */
function addAmountOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--amount-unit <unit>",
        "amounts in the currency's smallest unit (minor: Stripe's 5000 is 50.00) or whole units (major)",
      ).choices(["minor", "major"]),
    )
    .addOption(
      new Option(
        "--amount-per <scope>",
        "what one amount is for: line (each line's value, added up) or order (the order's total written on its lines, read once per order; needs --order-col)",
      ).choices(["line", "order"]),
    )
    .addOption(
      new Option(
        "--credit-is <meaning>",
        'what "CR" on an amount marks: return (a credit, a refund; "DR" a sale) or sale (a sales account\'s credits; "DR" a refund)',
      ).choices(["sale", "return"]),
    )
    .option(
      "--sign-currency <code>",
      'the currency a bare "$" (or ¥, kr) stands for when a column mixes it with codes, e.g. CAD',
    )
    .option(
      "--payment-col <name>",
      "with --amount-per order: column telling an order's payments apart (payment_sequential), so two equal payments are both read",
    );
}

/** The effective format (postgres:// URLs and .parquet files are recognised) and log options. */
export function logInputFromCli(o: Record<string, unknown>): {
  format: DataFormat;
  log: LogReadOptions;
} {
  const given = o.format as DataFormat;
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  refuseFormatWithQuery({ data: str("data") as string, query: str("query"), format: given });
  if (given === "cdnow" || given === "summary") return { format: given, log: {} };
  const source = sourceFromArguments({
    data: str("data") as string,
    ...(str("table") ? { table: str("table") as string } : {}),
    ...(str("query") ? { query: str("query") as string } : {}),
    ...(str("delimiter") ? { delimiter: str("delimiter") as string } : {}),
    ...(str("sheet") ? { sheet: str("sheet") as string } : {}),
    ...(str("encoding") ? { encoding: str("encoding") as CsvEncoding } : {}),
    ...(typeof o.skipLines === "number" ? { skipLines: o.skipLines } : {}),
    format: given,
  });
  const keep = o.keepRows as RowFilter | undefined;
  const drop = o.dropRows as RowFilter | undefined;
  const marked = o.returnRows as RowFilter | undefined;
  const columns = {
    ...(str("priceCol") ? { price: str("priceCol") as string } : {}),
    ...(str("orderCol") ? { order: str("orderCol") as string } : {}),
    ...(str("paymentCol") ? { payment: str("paymentCol") as string } : {}),
    ...(keep ? { keepBy: keep.column } : {}),
    ...(drop ? { dropBy: drop.column } : {}),
    ...(marked ? { returnBy: marked.column } : {}),
  };
  return {
    // A query over files is read from `source`; as a format it is the files' (CSV, mostly).
    format: source.kind === "query" ? "csv" : source.kind,
    log: {
      source,
      columns,
      ...(str("dateFormat") ? { dateFormat: str("dateFormat") as string } : {}),
      ...(str("timezone") ? { timezone: str("timezone") as string } : {}),
      ...(str("decimalSeparator")
        ? { decimalSeparator: str("decimalSeparator") as "." | "," }
        : {}),
      ...(str("cancelPattern") ? { cancelPattern: str("cancelPattern") as string } : {}),
      returns: str("returns") === "drop" ? "drop" : "net",
      ...(keep ? { keepValues: keep.values } : {}),
      ...(drop ? { dropValues: drop.values } : {}),
      ...(marked ? { returnValues: marked.values } : {}),
      ...(o.ignoreIdCase === true ? { ignoreIdCase: true } : {}),
      ...(str("amountUnit") ? { amountUnit: str("amountUnit") as "minor" | "major" } : {}),
      ...(str("amountPer") ? { amountPer: str("amountPer") as "line" | "order" } : {}),
      ...(str("creditIs") ? { creditIs: str("creditIs") as "sale" | "return" } : {}),
      ...(str("signCurrency") ? { signCurrency: str("signCurrency") as string } : {}),
    },
  };
}

export interface TransactionLogOptionsConfig {
  /** `ml train`: --format summary too (customer summaries instead of transactions). */
  summaries?: boolean;
}

/**
 * --data, --format and the column options of `ml train`, `ml track` and `ml campaign report`
 * (only train takes --format summary: the others need transactions), plus the input layer's.
 */
export function addTransactionLogOptions(
  command: Command,
  dataDescription: string,
  config: TransactionLogOptionsConfig = {},
): Command {
  const formats: string[] = [...LOG_FORMATS];
  if (config.summaries) formats.push("summary");
  command
    .requiredOption(
      "--data <file|url>",
      `${dataDescription}: CSV/TSV (.gz), .parquet, .json, postgres://… or a CDNOW text file` +
        (config.summaries ? "; or customer summaries (--format summary)" : ""),
    )
    .addOption(
      new Option(
        "--format <format>",
        "input format (postgres:// and .parquet are recognised; not with --query over files, read by their extensions)",
      )
        .choices(formats)
        .default("csv"),
    )
    .option("--customer-col <name>", "column of the customer id", "customer_id")
    .option("--date-col <name>", "column of the date", "date")
    .option(
      "--amount-col <name>",
      "column of the amount (none: a log without amounts, counts only)",
      "amount",
    )
    .option("--quantity-col <name>", "column of the quantity (optional)")
    .addOption(
      new Option("--on-bad-row <policy>", "malformed rows")
        .choices(["skip", "fail"])
        .default("skip"),
    );
  return addLogInputOptions(command);
}

/** The parsed options of addTransactionLogOptions as the request readLog takes. */
export function transactionLogFromCli(o: Record<string, unknown>): LogRequest {
  const input = logInputFromCli(o);
  const str = (k: string) => (typeof o[k] === "string" ? (o[k] as string) : undefined);
  return {
    path: str("data") as string,
    format: input.format as LogFormat,
    columns: {
      customerId: str("customerCol") ?? "customer_id",
      date: str("dateCol") ?? "date",
      amount: str("amountCol") ?? "amount",
      ...(str("quantityCol") ? { quantity: str("quantityCol") as string } : {}),
    },
    onBadRow: o.onBadRow === "fail" ? "fail" : "skip",
    log: input.log,
  };
}
