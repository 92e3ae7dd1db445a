// Reader for transaction logs in CSV with a header and configurable columns (customer id, date or
// timestamp, amount, optional quantity). Streams line by line into typed arrays; malformed rows
// are counted and reported with 1-based line numbers (the header is line 1), or fail the read.

import { BadRowError, type BadRowPolicy, ReadReporter } from "./bad-rows.ts";
import { opensQuotedField, parseNonNegative, splitCsvRecord } from "./csv-fields.ts";
import { type DateFormat, parseDate } from "./date-parsing.ts";
import { forEachLine } from "./line-reader.ts";
import type { ReadReport, TransactionLog } from "./transaction-log.ts";
import { TransactionLogBuilder } from "./transaction-log-builder.ts";

/** Header names of the columns to read. */
export interface CsvColumns {
  customerId: string;
  /** A date (`YYYY-MM-DD` or `YYYYMMDD`) or a timestamp `YYYY-MM-DDTHH:MM…` (its date is used). */
  date: string;
  amount: string;
  /** Optional; when omitted, a column named "quantity" is read if the header has one. */
  quantity?: string;
}

export interface CsvReadOptions {
  /** Default `{ customerId: "customer_id", date: "date", amount: "amount" }`. */
  columns?: Partial<CsvColumns>;
  /** Default "auto": 8 bare digits are YYYYMMDD, anything else ISO. */
  dateFormat?: DateFormat;
  /** Default ",". */
  delimiter?: string;
  /** Skip malformed rows and report them (default), or throw on the first one. */
  onBadRow?: BadRowPolicy;
}

/** A quoted record spanning more than this is taken for a stray quote. */
const MAX_RECORD_CHARS = 65_536;

export const DEFAULT_CSV_COLUMNS: CsvColumns = {
  customerId: "customer_id",
  date: "date",
  amount: "amount",
};

export async function readCsvLog(
  path: string,
  options: CsvReadOptions = {},
): Promise<{ log: TransactionLog; report: ReadReport }> {
  const columns = { ...DEFAULT_CSV_COLUMNS, ...options.columns };
  const delimiter = options.delimiter ?? ",";
  const dateFormat = options.dateFormat ?? "auto";
  const reporter = new ReadReporter(path, options.onBadRow ?? "skip");
  let builder: TransactionLogBuilder | null = null;
  let width = 0;
  let idAt = -1;
  let dateAt = -1;
  let amountAt = -1;
  let quantityAt = -1;
  // A record whose quoted field holds a line break continues on the next physical line.
  let pending = "";
  let pendingLine = 0;

  const readHeader = (fields: string[], line: number): void => {
    const names = fields.map((f) => f.trim());
    const at = (name: string, role: string): number => {
      const i = names.indexOf(name);
      if (i < 0) {
        throw new BadRowError(path, {
          line,
          field: name,
          message: `the header has no ${role} column "${name}" (columns: ${names.join(", ")})`,
        });
      }
      return i;
    };
    width = names.length;
    idAt = at(columns.customerId, "customer id");
    dateAt = at(columns.date, "date");
    amountAt = at(columns.amount, "amount");
    if (columns.quantity !== undefined) quantityAt = at(columns.quantity, "quantity");
    else quantityAt = names.indexOf("quantity");
    builder = new TransactionLogBuilder({
      withQuantity: quantityAt >= 0,
      initialCapacity: 1 << 16,
    });
  };

  const readRow = (b: TransactionLogBuilder, f: string[], line: number): void => {
    reporter.rowsRead++;
    if (f.length !== width) {
      reporter.bad(line, undefined, `expected ${width} columns, got ${f.length}`);
      return;
    }
    const id = (f[idAt] as string).trim();
    if (id.length === 0) {
      reporter.bad(line, columns.customerId, "missing customer id");
      return;
    }
    const dateText = (f[dateAt] as string).trim();
    const day = parseDate(dateText, dateFormat);
    if (Number.isNaN(day)) {
      reporter.bad(line, columns.date, `unparseable date "${dateText}"`);
      return;
    }
    const amount = parseNonNegative(f[amountAt] as string);
    if (Number.isNaN(amount)) {
      reporter.bad(line, columns.amount, `not a non-negative finite number: "${f[amountAt]}"`);
      return;
    }
    let quantity = 0;
    if (quantityAt >= 0) {
      quantity = parseNonNegative(f[quantityAt] as string);
      if (Number.isNaN(quantity)) {
        const name = columns.quantity ?? "quantity";
        reporter.bad(line, name, `not a non-negative finite number: "${f[quantityAt]}"`);
        return;
      }
    }
    b.push(b.customerNumber(id), day, amount, quantity);
    reporter.rowsKept++;
  };

  await forEachLine(path, (text, lineNumber) => {
    let record = text;
    let line = lineNumber;
    if (pending.length > 0) {
      record = `${pending}\n${text}`;
      line = pendingLine;
    }
    if (opensQuotedField(record)) {
      if (pending.length === 0) pendingLine = lineNumber;
      pending = record;
      if (pending.length > MAX_RECORD_CHARS) {
        // A stray quote must not swallow the rest of the file: report it and resynchronise.
        pending = "";
        reporter.rowsRead++;
        reporter.bad(pendingLine, undefined, "unterminated quoted field");
      }
      return;
    }
    pending = "";
    if (builder === null) {
      readHeader(splitCsvRecord(record, delimiter), line);
      return;
    }
    if (record.trim().length === 0) return; // blank lines are not rows
    readRow(builder, splitCsvRecord(record, delimiter), line);
  });
  if (pending.length > 0) {
    reporter.rowsRead++;
    reporter.bad(pendingLine, undefined, "unterminated quoted field");
  }
  if (builder === null) {
    throw new BadRowError(path, { line: 1, message: "empty file: no header line" });
  }
  return { log: (builder as TransactionLogBuilder).finish(), report: reporter.report() };
}
