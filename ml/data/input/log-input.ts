// What to read and how: the source (CSV/TSV file, gzip or not; Parquet; a PostgreSQL table or
// query), which columns hold what, how dates are written, and what to do with returns and bad rows.
// One description for every source, so `ml train` takes the same column options for all of them.

import type { BadRowPolicy } from "../bad-rows.ts";

export type LogSource =
  | { kind: "csv"; path: string; delimiter?: string; header?: boolean }
  | { kind: "parquet"; path: string }
  | { kind: "json"; path: string }
  | { kind: "postgres"; url: string; table?: string; query?: string };

export interface LogColumns {
  customerId: string;
  date: string;
  /** The line's value; or give quantity and price (amount = quantity × price). */
  amount?: string;
  quantity?: string;
  price?: string;
  /** Order / invoice id: the lines of one order are one purchase (on the order's first day). */
  order?: string;
}

export interface LogInput {
  source: LogSource;
  columns: LogColumns;
  /** strftime pattern such as `%m/%d/%Y %H:%M`; sniffed when omitted. */
  dateFormat?: string;
  /** IANA zone of the shop: timestamps with an offset are converted to its calendar day. */
  timezone?: string;
  /** Regular expression on the order id marking cancellations, e.g. `^C`. */
  cancelPattern?: string;
  /** Returns subtract from spend ("net", default) or are ignored ("drop"). */
  returns?: "net" | "drop";
  onBadRow?: BadRowPolicy;
}

/** The source's name in messages (never a password). */
export function sourceName(source: LogSource): string {
  if (source.kind !== "postgres") return source.path;
  const url = source.url.replace(/\/\/([^:@/]*)(:[^@/]*)?@/, "//$1@");
  return `${url} ${source.table ? `table ${source.table}` : "query"}`;
}

/** Takes `--data` as a source: postgres:// URLs, .parquet and .json files, else CSV/TSV. */
export function sourceFromArguments(options: {
  data: string;
  table?: string;
  query?: string;
  delimiter?: string;
  format?: string;
}): LogSource {
  const { data } = options;
  if (/^postgres(ql)?:\/\//.test(data)) {
    if (!options.table === !options.query) {
      throw new RangeError("--data postgres://…: pass exactly one of --table T or --query SQL");
    }
    return {
      kind: "postgres",
      url: data,
      ...(options.table ? { table: options.table } : {}),
      ...(options.query ? { query: options.query } : {}),
    };
  }
  if (options.table || options.query) {
    throw new RangeError("--table/--query: only with --data postgres://…");
  }
  if (options.format === "parquet" || /\.parquet$/i.test(data))
    return { kind: "parquet", path: data };
  if (options.format === "json" || /\.(json|ndjson|jsonl)(\.gz)?$/i.test(data)) {
    return { kind: "json", path: data };
  }
  return {
    kind: "csv",
    path: data,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
  };
}
