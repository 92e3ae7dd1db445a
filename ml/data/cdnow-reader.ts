// Reader for the CDNOW transaction-log formats, whitespace- (or comma-) separated: the 5-column
// sample layout (master id, sample id, YYYYMMDD, CDs, dollars) and the original 4-column master
// layout (id, YYYYMMDD, CDs, dollars), each with or without a header line. Streams into typed
// arrays; bad rows get line numbers.

import { type BadRowPolicy, ReadReporter } from "./bad-rows.ts";
import { parseYyyymmdd } from "./date-parsing.ts";
import { checkDataFile } from "./input/source-file.ts";
import { forEachLine } from "./line-reader.ts";
import type { ReadReport, TransactionLog } from "./transaction-log.ts";
import { TransactionLogBuilder } from "./transaction-log-builder.ts";

export interface CdnowReadOptions {
  /** Skip malformed rows and report them (default), or throw on the first one. */
  onBadRow?: BadRowPolicy;
}

const SEPARATORS = /[\s,;]+/;

/** Where the fields of a layout are. */
interface CdnowLayout {
  columns: number;
  id: number;
  idName: string;
}
const SAMPLE_LAYOUT: CdnowLayout = { columns: 5, id: 1, idName: "sample id" };
const MASTER_LAYOUT: CdnowLayout = { columns: 4, id: 0, idName: "customer id" };

/** A header line: its first field is not a number (data lines start with a customer number). */
function isHeader(fields: string[]): boolean {
  return !/^\d+$/.test(fields[0] ?? "");
}

/**
 * Reads a CDNOW-format log. The layout (5-column sample or 4-column master) is taken from the
 * first data line. The customer id is written without leading zeros ("0001" → "1"), so ids match
 * the 1..2357 (sample) or 1..23570 (master) numbering of the literature.
 */
export async function readCdnowLog(
  path: string,
  options: CdnowReadOptions = {},
): Promise<{ log: TransactionLog; report: ReadReport }> {
  checkDataFile(path);
  const reporter = new ReadReporter(path, options.onBadRow ?? "skip");
  const builder = new TransactionLogBuilder({ withQuantity: true, initialCapacity: 1 << 16 });
  let layout: CdnowLayout | null = null;
  let first = true;
  await forEachLine(path, (line, lineNumber) => {
    const text = line.trim();
    if (text.length === 0) return; // blank lines are not rows
    const f = text.split(SEPARATORS);
    if (first) {
      first = false;
      if (isHeader(f)) return; // e.g. "customer_id date quantity amount"
    }
    reporter.rowsRead++;
    if (layout === null && (f.length === 4 || f.length === 5)) {
      layout = f.length === 5 ? SAMPLE_LAYOUT : MASTER_LAYOUT;
    }
    if (layout === null || f.length !== layout.columns) {
      const expected = layout
        ? `${layout.columns}`
        : "4 (id, YYYYMMDD, CDs, dollars) or 5 (master id, sample id, YYYYMMDD, CDs, dollars)";
      reporter.bad(lineNumber, undefined, `expected ${expected} columns, got ${f.length}`);
      return;
    }
    readFields(f, layout, lineNumber);
  });

  function readFields(f: string[], at: CdnowLayout, lineNumber: number): void {
    const id = f[at.id] as string;
    if (!/^\d+$/.test(id)) {
      reporter.bad(lineNumber, at.idName, `not a customer number: "${id}"`);
      return;
    }
    const dateText = f[at.id + 1] as string;
    const day = parseYyyymmdd(dateText);
    if (Number.isNaN(day)) {
      reporter.bad(lineNumber, "date", `not a YYYYMMDD date: "${dateText}"`);
      return;
    }
    const quantity = Number(f[at.id + 2]);
    if (!Number.isFinite(quantity) || quantity < 0) {
      reporter.bad(lineNumber, "quantity", `not a non-negative number: "${f[at.id + 2]}"`);
      return;
    }
    const amount = Number(f[at.id + 3]);
    if (!Number.isFinite(amount) || amount < 0) {
      reporter.bad(lineNumber, "amount", `not a non-negative number: "${f[at.id + 3]}"`);
      return;
    }
    builder.push(builder.customerNumber(String(Number(id))), day, amount, quantity);
    reporter.rowsKept++;
  }
  return { log: builder.finish(), report: reporter.report() };
}
