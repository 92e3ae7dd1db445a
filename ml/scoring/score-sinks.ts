// Where `ml score` writes: a CSV file, a Parquet file (through DuckDB) or a PostgreSQL table
// upserted by (model, version, customer_id). Each takes scored batches (CSV text of
// score-columns.ts for CSV and PostgreSQL, typed columns for Parquet), and publishes only when complete: files are renamed into place at the end, and the table
// rows are replaced in one transaction, so a run killed midway leaves the previous result intact.

import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import {
  type AtomicFile,
  openAtomicFile,
  publishWrittenFile,
} from "@pp/shared/artifacts/atomic-file.ts";
import { holdPostgresUrl } from "@pp/shared/db/open-postgres-urls.ts";
import postgres from "postgres";
import { csvField, formulaLike, spreadsheetField } from "../data/csv-quote.ts";
import type { BatchForecast } from "../forecasting/forecast-batch.ts";
import type { ForecastBatchInput } from "../forecasting/forecast-inputs.ts";
import { parquetWriter } from "./parquet-writer.ts";
import { csvRows, SCORE_COLUMNS, type ScoreRunFields } from "./score-columns.ts";
import { scoreVectors } from "./score-vectors.ts";

/** A scored batch: what every sink writes, each in its own encoding. */
export interface ScoredBatch {
  run: ScoreRunFields;
  batch: ForecastBatchInput;
  result: BatchForecast;
}

export interface ScoreSink {
  readonly description: string;
  /** Appends a scored batch (customers with an item error are left out). */
  write(scored: ScoredBatch): Promise<void>;
  /** Publishes the result. */
  close(): Promise<void>;
  /** Drops what was written; the previous result stays. */
  abort(): Promise<void>;
  /** Once closed: a line for the user on what was written differently, or null. */
  note?(): string | null;
}

/** A sink fed CSV text (score-columns.ts): the CSV file and the PostgreSQL COPY. */
export interface CsvScoreSink extends ScoreSink {
  /** Appends CSV lines (each ending in \n). */
  writeText(lines: string): Promise<void>;
}

const csvOf = ({ run, batch, result }: ScoredBatch) => csvRows(run, batch, result);

/** The columns a sink writes (default: SCORE_COLUMNS; `ml score --intervals` adds some). */
type Columns = typeof SCORE_COLUMNS;
const headerOf = (columns: Columns) => columns.map((c) => c.name).join(",");

/**
 * A file written atomically (atomic-file.ts), opened at the first write: an output that cannot be
 * opened fails the first write, not the close after all the work. `temporaryPath` is the file
 * being written (for removal at exit).
 */
function atomicFileWriter(path: string) {
  let opening: Promise<AtomicFile> | null = null;
  let file: AtomicFile | null = null;
  const opened = async () => {
    opening ??= openAtomicFile(path).then((f) => {
      file = f;
      return f;
    });
    return opening;
  };
  const encoder = new TextEncoder();
  return {
    temporaryPath: () => file?.temporaryPath ?? null,
    async write(text: string) {
      const { handle } = await opened();
      const bytes = encoder.encode(text);
      // A write may take fewer bytes than given (a pipe, a signal): the rest follows.
      for (let at = 0; at < bytes.byteLength; ) {
        at += (await handle.write(bytes, at, bytes.byteLength - at)).bytesWritten;
      }
    },
    end: async () => (await opened()).commit(),
    async destroy() {
      if (opening) await (await opening.catch(() => null))?.abort();
    },
  };
}

/**
 * Removes `path` if the process exits (process.exit: the CLI's database watchdog giving up on a
 * silent database) before the returned function is called. A run that ends by itself cleans up
 * after itself; one killed with SIGKILL cannot.
 */
function removedOnExit(path: string | (() => string | null)): () => void {
  const remove = () => {
    const now = typeof path === "string" ? path : path();
    if (now) rmSync(now, { recursive: true, force: true });
  };
  process.once("exit", remove);
  return () => {
    process.removeListener("exit", remove);
  };
}

/**
 * CSV to `path`, written atomically (atomic-file.ts: a `path.tmp-<uuid>` beside it, fsynced and
 * renamed over it at the end). With `forSpreadsheets` (the
 * file `--out` names, not a staging copy) an id a spreadsheet would run as a formula is written
 * with a leading `'` (spreadsheet-field), and `note()` says how many.
 */
export function csvSink(
  path: string,
  columns: Columns = SCORE_COLUMNS,
  forSpreadsheets = false,
): CsvScoreSink {
  const target = resolve(path);
  let guarded = 0;
  const idField = (id: string) => {
    if (!formulaLike(id)) return csvField(id);
    guarded++;
    return spreadsheetField(id);
  };
  const file = atomicFileWriter(target);
  const kept = removedOnExit(file.temporaryPath);
  let started = false;
  const writeText = async (lines: string) => {
    if (!started) {
      started = true;
      await file.write(`${headerOf(columns)}\n`);
    }
    await file.write(lines);
  };
  return {
    description: target,
    writeText,
    write: ({ run, batch, result }) =>
      writeText(csvRows(run, batch, result, forSpreadsheets ? idField : csvField)),
    note: () =>
      guarded === 0
        ? null
        : `note: ${guarded.toLocaleString("en-US")} customer ids begin like a spreadsheet formula (=, +, -, @): ` +
          "written with a leading ' so that a spreadsheet shows them and runs nothing (a Parquet or PostgreSQL output keeps them as they are)",
    async close() {
      if (!started) await file.write(`${headerOf(columns)}\n`);
      await file.end();
      kept();
    },
    async abort() {
      await file.destroy();
      kept();
    },
  };
}

/**
 * Where a Parquet file is written before it is renamed into place: beside the target (the rename
 * stays on one file system), named for it and unique, so that sinks closing at the same moment
 * into one directory (the shards of one run) never share it.
 */
export function partialPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${crypto.randomUUID()}.partial.parquet`);
}

/**
 * Parquet to `path`: typed columns appended to DuckDB (parquet-writer.ts), written beside the
 * target at the end and renamed into place.
 */
export async function parquetSink(
  path: string,
  columns: Columns = SCORE_COLUMNS,
): Promise<ScoreSink> {
  // The typed path knows the fixed columns; interval columns go through CSV staging instead.
  if (columns.length !== SCORE_COLUMNS.length) return stagedParquetSink(path, columns);
  const target = resolve(path);
  const dir = await mkdtemp(join(tmpdir(), "pp-score-"));
  const kept = removedOnExit(dir);
  let writer: Awaited<ReturnType<typeof parquetWriter>>;
  try {
    writer = await parquetWriter(dir);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    kept();
    throw error;
  }
  const cleanUp = async () => {
    writer.close();
    await rm(dir, { recursive: true, force: true });
    kept();
  };
  let closed = false;
  return {
    description: target,
    write: ({ run, batch, result }) => writer.append(scoreVectors(run, batch, result)),
    async close() {
      closed = true;
      const partial = partialPathFor(target);
      try {
        await writer.finish(partial);
        await publishWrittenFile(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      } finally {
        await cleanUp();
      }
    },
    async abort() {
      if (!closed) await cleanUp();
      closed = true;
    },
  };
}

const DUCKDB_TYPES = { text: "VARCHAR", integer: "INTEGER", date: "DATE", double: "DOUBLE" };

/** Parquet through a temporary CSV that DuckDB converts (COPY ... TO) at the end: any columns. */
async function stagedParquetSink(path: string, columns: Columns): Promise<ScoreSink> {
  const target = resolve(path);
  const dir = await mkdtemp(join(tmpdir(), "pp-score-"));
  const kept = removedOnExit(dir);
  const staging = join(dir, "scores.csv");
  const csv = csvSink(staging, columns);
  return {
    description: target,
    write: (scored) => csv.write(scored),
    async close() {
      try {
        await csv.close();
        const { DuckDBInstance } = await import("@duckdb/node-api");
        const instance = await DuckDBInstance.create(":memory:");
        const connection = await instance.connect();
        const types = columns.map((c) => `'${c.name}': '${DUCKDB_TYPES[c.type]}'`).join(", ");
        const partial = partialPathFor(target);
        const quote = (p: string) => `'${p.replaceAll("'", "''")}'`;
        try {
          await connection.run(
            `COPY (SELECT * FROM read_csv(${quote(staging)}, header = true, quote = '"', escape = '"', nullstr = '', columns = {${types}})) TO ${quote(partial)} (FORMAT parquet, COMPRESSION zstd)`,
          );
          await publishWrittenFile(partial, target);
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        } finally {
          connection.closeSync();
          instance.closeSync();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
        kept();
      }
    },
    async abort() {
      await csv.abort();
      await rm(dir, { recursive: true, force: true });
      kept();
    },
  };
}

const PG_TYPES = { text: "text", integer: "integer", date: "date", double: "double precision" };

/** A table name `name` or `schema.name` (letters, digits, underscores), quoted for SQL. */
export function quotedTableName(table: string): string {
  const parts = table.split(".");
  if (parts.length > 2 || !parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
    throw new RangeError(
      `--table: expected NAME or SCHEMA.NAME of letters, digits and underscores, got ${JSON.stringify(table)}`,
    );
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/** The DDL of the scores table (created when absent). */
export function createScoresTableSql(table: string, columns: Columns = SCORE_COLUMNS): string {
  const cols = columns.map((c) => `"${c.name}" ${PG_TYPES[c.type]}`).join(", ");
  return `create table if not exists ${table} (${cols}, scored_at timestamptz not null default now(), primary key (model, version, customer_id))`;
}

/**
 * Upserts into `table` at `url`: rows stream into a temporary table by COPY, then one
 * INSERT ... ON CONFLICT (model, version, customer_id) DO UPDATE replaces them, in one transaction.
 * With `replaceVersion` (the run scores every customer of its versions), rows of those versions
 * for customers the run did not score go in the same transaction: a customer erased since (`ml
 * forget` says to score again) kept their row, with its old scored_at.
 */
export async function postgresSink(
  url: string,
  tableName: string,
  columns: Columns = SCORE_COLUMNS,
  options: { replaceVersion?: boolean } = {},
): Promise<CsvScoreSink> {
  const named = <T>(work: Promise<T>) =>
    work.catch((error: unknown) => Promise.reject(atDatabase(error, url)));
  const sink = await named(openPostgresSink(url, tableName, columns, options));
  return {
    description: sink.description,
    writeText: (lines) => named(sink.writeText(lines)),
    write: (scored) => named(sink.write(scored)),
    close: () => named(sink.close()),
    abort: () => named(sink.abort()),
  };
}

/**
 * `error` marked as the --to database's (`databaseUrl`), so that the CLI names that database in
 * its message: a --to database that did not exist was reported as DATA_DIR's refusing.
 */
function atDatabase(error: unknown, url: string): unknown {
  if (error instanceof Error && !("databaseUrl" in error)) {
    Object.defineProperty(error, "databaseUrl", { value: url });
  }
  return error;
}

async function openPostgresSink(
  url: string,
  tableName: string,
  columns: Columns,
  { replaceVersion = false }: { replaceVersion?: boolean },
): Promise<CsvScoreSink> {
  const table = quotedTableName(tableName);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  // Watched by the CLI's database watchdog while open: a target that stops answering ends the run.
  const release = holdPostgresUrl(url);
  const end = async () => {
    try {
      await sql.end({ timeout: 5 });
    } finally {
      release();
    }
  };
  let conn: postgres.ReservedSql;
  try {
    conn = await sql.reserve();
  } catch (error) {
    await end();
    throw error;
  }
  const names = columns.map((c) => `"${c.name}"`).join(", ");
  let others: string[];
  try {
    others = await prepareStaging(conn, table, columns, names);
  } catch (error) {
    conn.release();
    await end();
    throw error;
  }
  const { copy, failed } = await openCopy(conn, names);
  let started = false;
  const send = async (text: string) => {
    if (!copy.write(text)) await Promise.race([new Promise((r) => copy.once("drain", r)), failed]);
  };
  let finished = false;
  const finish = async (commit: boolean) => {
    if (finished) return;
    finished = true;
    try {
      if (commit) {
        if (replaceVersion) await deleteUnscored(conn, table);
        await upsertStaged(conn, table, columns, names, others);
      } else await conn.unsafe("rollback").catch(() => {});
    } finally {
      conn.release();
      await end();
    }
  };
  const writeText = async (lines: string) => {
    if (!started) {
      started = true;
      await send(`${headerOf(columns)}\n`);
    }
    await send(lines);
  };
  return {
    description: `${new URL(url).host}/${tableName}`,
    writeText,
    write: (scored) => writeText(csvOf(scored)),
    async close() {
      if (!started) await send(`${headerOf(columns)}\n`);
      try {
        await Promise.race([new Promise<void>((r) => copy.end(() => r())), failed]);
      } catch (error) {
        await finish(false);
        throw error;
      }
      await finish(true);
    },
    async abort() {
      copy.destroy();
      await finish(false);
    },
  };
}

type ReservedConnection = postgres.ReservedSql;

/**
 * Creates (or widens) the table, begins the transaction and its staging table; returns the
 * table's columns this run does not write.
 */
async function prepareStaging(
  conn: ReservedConnection,
  table: string,
  columns: Columns,
  names: string,
): Promise<string[]> {
  await conn.unsafe(createScoresTableSql(table, columns));
  // A table made by a run without (or with other) interval columns gains the missing ones.
  for (const c of columns.slice(SCORE_COLUMNS.length)) {
    await conn.unsafe(
      `alter table ${table} add column if not exists "${c.name}" ${PG_TYPES[c.type]}`,
    );
  }
  await conn.unsafe("begin");
  await conn.unsafe(
    `create temp table pp_score_staging as select ${names} from ${table} with no data`,
  );
  // Columns this run does not write (an earlier run's intervals) are cleared on its rows, so
  // no row pairs fresh forecasts with stale intervals.
  const written = new Set(columns.map((c) => c.name));
  const existing = await conn.unsafe(
    "select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped",
    [table],
  );
  return existing.map((r) => String(r.attname)).filter((n) => !written.has(n) && n !== "scored_at");
}

/** The COPY into the staging table, and a promise that rejects when the server refuses it. */
async function openCopy(conn: ReservedConnection, names: string) {
  const copyQuery = conn.unsafe(
    `copy pp_score_staging (${names}) from stdin with (format csv, header true)`,
  );
  // postgres.js (3.4.9) hands a COPY the server refuses (e.g. a malformed row) only to the query's
  // already settled promise and never calls the writable's end callback (porsager/postgres#1173):
  // without this hook close() would wait forever. The hook sees the server's error and fails the run.
  const refused = new Promise<never>((_, reject) => {
    const query = copyQuery as unknown as { reject?: (error: unknown) => void };
    const settle = query.reject;
    if (typeof settle !== "function") return;
    query.reject = (error: unknown) => {
      reject(error);
      settle(error);
    };
  });
  refused.catch(() => {});
  const copy = await copyQuery.writable();
  const failed = Promise.race([
    refused,
    new Promise<never>((_, reject) => copy.once("error", reject)),
  ]);
  failed.catch(() => {});
  return { copy, failed };
}

/** Deletes the rows of the staged versions whose customers are not staged (see postgresSink). */
async function deleteUnscored(conn: ReservedConnection, table: string): Promise<void> {
  await conn.unsafe(
    `delete from ${table} as t
     where (t.model, t.version) in (select distinct model, version from pp_score_staging)
       and not exists (select 1 from pp_score_staging as s
         where s.model = t.model and s.version = t.version and s.customer_id = t.customer_id)`,
  );
}

/** Moves the staged rows into the table (replacing theirs) and commits. */
async function upsertStaged(
  conn: ReservedConnection,
  table: string,
  columns: Columns,
  names: string,
  others: string[],
): Promise<void> {
  const updates = columns
    .filter((c) => !["model", "version", "customer_id"].includes(c.name))
    .map((c) => `"${c.name}" = excluded."${c.name}"`)
    .concat(others.map((n) => `"${n.replaceAll('"', '""')}" = null`))
    .join(", ");
  await conn.unsafe(
    `insert into ${table} (${names}) select ${names} from pp_score_staging on conflict (model, version, customer_id) do update set ${updates}, scored_at = now()`,
  );
  await conn.unsafe("commit");
}
