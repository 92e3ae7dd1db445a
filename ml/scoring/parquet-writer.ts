// Score rows to a Parquet file through DuckDB without text in between: each batch's typed columns
// (score-vectors.ts) are copied into DuckDB data chunks and appended to an in-memory table (spilled
// to a temporary directory past a memory limit), which one COPY ... TO writes as zstd Parquet at
// the end, with the run-wide values as constants and non-finite numbers as NULL. Row order is not
// kept (as with the binary COPY that reads the customers): rows are keyed by customer_id.

import { DOUBLE, DuckDBDataChunk, DuckDBInstance, VARCHAR } from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { type ColumnType, SCORE_COLUMNS } from "./score-columns.ts";
import type { ColumnVector, ScoreVectors } from "./score-vectors.ts";

const DUCKDB_TYPES: Record<ColumnType, string> = {
  text: "VARCHAR",
  integer: "INTEGER",
  date: "DATE",
  double: "DOUBLE",
};
/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

export interface ParquetWriter {
  /** Appends a batch (the first one also creates the staging table). */
  append(vectors: ScoreVectors): Promise<void>;
  /** Writes the Parquet file at `path` (zstd). */
  finish(path: string): Promise<void>;
  close(): void;
}

/** A writer whose staging table spills to `tempDir` past `memoryLimit`. */
export async function parquetWriter(
  tempDir: string,
  memoryLimit = "512MB",
): Promise<ParquetWriter> {
  const instance = await DuckDBInstance.create(":memory:", {
    temp_directory: tempDir,
    memory_limit: memoryLimit,
    // Rows carry their keys: letting DuckDB write row groups in any order saves ~25% of the COPY.
    preserve_insertion_order: "false",
  });
  const connection = await instance.connect();
  let layout: ColumnVector["kind"][] | null = null;
  let constants: (string | number)[] = [];
  let appender: Awaited<ReturnType<typeof connection.createAppender>> | null = null;
  const perRow = () => (layout ?? []).flatMap((k, j) => (k === "constant" ? [] : [j]));

  async function start(vectors: ScoreVectors) {
    layout = vectors.columns.map((c) => c.kind);
    constants = vectors.columns.map((c) => (c.kind === "constant" ? c.value : ""));
    const columns = perRow().map(
      (j) => `c${j} ${(layout as string[])[j] === "text" ? "VARCHAR" : "DOUBLE"}`,
    );
    await connection.run(`CREATE TABLE scores (${columns.join(", ")})`);
    appender = await connection.createAppender("scores");
  }

  function appendChunks(vectors: ScoreVectors) {
    const kinds = layout as ColumnVector["kind"][];
    const js = perRow();
    const types = js.map((j) => (kinds[j] === "text" ? VARCHAR : DOUBLE));
    for (let from = 0; from < vectors.rows; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, vectors.rows - from);
      const chunk = DuckDBDataChunk.create(types, n);
      js.forEach((j, k) => {
        const column = vectors.columns[j] as ColumnVector;
        if (column.kind !== kinds[j]) throw new Error(`score column ${j} changed kind mid-run`);
        fillVector(duckdb.data_chunk_get_vector(chunk.chunk, k), column, from, n);
      });
      appender?.appendDataChunk(chunk);
    }
  }

  return {
    async append(vectors) {
      if (vectors.rows === 0) return;
      if (!layout) await start(vectors);
      appendChunks(vectors);
    },
    async finish(path) {
      appender?.closeSync();
      appender = null;
      const from = layout ? "FROM scores" : "LIMIT 0";
      await connection.run(
        `COPY (SELECT ${selectList(layout, constants)} ${from}) TO ${quote(path)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    },
    close() {
      try {
        appender?.closeSync();
      } catch {
        // an appender that failed mid-run has nothing worth keeping
      }
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Rows from..from+n of a per-row column into a DuckDB vector. */
function fillVector(vector: duckdb.Vector, column: ColumnVector, from: number, n: number): void {
  if (column.kind === "double") {
    // One copy of the typed array's bytes into the vector (the API's items are private).
    const { buffer, byteOffset } = column.values;
    duckdb.copy_data_to_vector(vector, 0, buffer as ArrayBuffer, byteOffset + from * 8, n * 8);
  } else if (column.kind === "text") {
    for (let i = 0; i < n; i++) {
      duckdb.vector_assign_string_element(vector, i, column.values[from + i] as string);
    }
  }
}

/** The SELECT list: constants as typed literals, per-row columns cast, non-finite → NULL. */
function selectList(layout: ColumnVector["kind"][] | null, constants: (string | number)[]): string {
  return SCORE_COLUMNS.map((c, j) => {
    const type = DUCKDB_TYPES[c.type];
    const kind = layout?.[j];
    let expr: string;
    if (kind === undefined) expr = "NULL";
    else if (kind === "constant") {
      const v = constants[j] as string | number;
      expr = typeof v === "number" ? (Number.isFinite(v) ? String(v) : "NULL") : quote(v);
    } else if (kind === "text") expr = `c${j}`;
    else expr = `CASE WHEN isfinite(c${j}) THEN c${j} END`;
    return `CAST(${expr} AS ${type}) AS ${ident(c.name)}`;
  }).join(", ");
}
