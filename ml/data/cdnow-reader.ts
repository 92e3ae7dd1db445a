// Reader for the CDNOW transaction-log format (whitespace-separated, no header): master id,
// sample id, YYYYMMDD, quantity, dollars. Streams into typed arrays; bad rows get line numbers.

import { type BadRowPolicy, ReadReporter } from "./bad-rows.ts";
import { parseYyyymmdd } from "./date-parsing.ts";
import { forEachLine } from "./line-reader.ts";
import type { ReadReport, TransactionLog } from "./transaction-log.ts";
import { TransactionLogBuilder } from "./transaction-log-builder.ts";

export interface CdnowReadOptions {
  /** Skip malformed rows and report them (default), or throw on the first one. */
  onBadRow?: BadRowPolicy;
}

const WHITESPACE = /\s+/;

/**
 * Reads a CDNOW-format log. The customer id is the sample id (column 2) written without leading
 * zeros ("0001" → "1"), so ids match the 1..2357 numbering of the literature.
 */
export async function readCdnowLog(
  path: string,
  options: CdnowReadOptions = {},
): Promise<{ log: TransactionLog; report: ReadReport }> {
  const reporter = new ReadReporter(path, options.onBadRow ?? "skip");
  const builder = new TransactionLogBuilder({ withQuantity: true, initialCapacity: 1 << 16 });
  await forEachLine(path, (line, lineNumber) => {
    const text = line.trim();
    if (text.length === 0) return; // blank lines are not rows
    reporter.rowsRead++;
    const f = text.split(WHITESPACE);
    if (f.length !== 5) {
      reporter.bad(
        lineNumber,
        undefined,
        `expected 5 whitespace-separated columns, got ${f.length}`,
      );
      return;
    }
    const id = f[1] as string;
    if (!/^\d+$/.test(id)) {
      reporter.bad(lineNumber, "sample id", `not a customer number: "${id}"`);
      return;
    }
    const day = parseYyyymmdd(f[2] as string);
    if (Number.isNaN(day)) {
      reporter.bad(lineNumber, "date", `not a YYYYMMDD date: "${f[2]}"`);
      return;
    }
    const quantity = Number(f[3]);
    if (!Number.isFinite(quantity) || quantity < 0) {
      reporter.bad(lineNumber, "quantity", `not a non-negative number: "${f[3]}"`);
      return;
    }
    const amount = Number(f[4]);
    if (!Number.isFinite(amount) || amount < 0) {
      reporter.bad(lineNumber, "amount", `not a non-negative number: "${f[4]}"`);
      return;
    }
    builder.push(builder.customerNumber(String(Number(id))), day, amount, quantity);
    reporter.rowsKept++;
  });
  return { log: builder.finish(), report: reporter.report() };
}
