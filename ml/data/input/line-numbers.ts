// Physical line numbers for DuckDB's CSV positions. DuckDB numbers rejected rows by record (a quoted
// field holding a line break counts once) and the rows it keeps only by their order, so one pass
// over the file (only when there is something to report) turns both into the line an editor shows.

import { opensQuotedField } from "../csv-fields.ts";
import { forEachLine } from "../line-reader.ts";

export interface LineMaps {
  /** rowid of a kept row → its first physical line. */
  rows: Map<number, number>;
  /** DuckDB record line (as in reject_errors) → its first physical line. */
  records: Map<number, number>;
}

/**
 * Walks the file's records: every record (blank ones too) advances DuckDB's record line; records
 * that are not blank, not the header and not rejected are the kept rows, numbered from 0.
 */
export async function physicalLines(
  path: string,
  options: {
    header: boolean;
    rejected: ReadonlySet<number>;
    rowids: Iterable<number>;
    /** Physical lines above the header that the reader skipped (records, never rows). */
    skip?: number;
  },
): Promise<LineMaps> {
  const wanted = new Set(options.rowids);
  const rows = new Map<number, number>();
  const records = new Map<number, number>();
  let record = 0;
  let rowid = 0;
  let pending = "";
  let pendingLine = 0;
  const skip = options.skip ?? 0;
  await forEachLine(path, (text, line) => {
    if (line <= skip) {
      record++; // DuckDB's record lines count the skipped lines too
      return;
    }
    const start = pending.length > 0 ? pendingLine : line;
    const joined = pending.length > 0 ? `${pending}\n${text}` : text;
    if (opensQuotedField(joined) && joined.length < 1 << 16) {
      if (pending.length === 0) pendingLine = line;
      pending = joined;
      return;
    }
    pending = "";
    record++;
    if (options.rejected.has(record)) {
      records.set(record, start);
      return;
    }
    if ((options.header && record === skip + 1) || joined.trim().length === 0) return;
    if (wanted.has(rowid)) rows.set(rowid, start);
    rowid++;
  });
  return { rows, records };
}
