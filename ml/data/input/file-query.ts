// A --query over files (`--data folder/ --query 'SELECT … JOIN …'`): each file is a table named
// by its file name, so exports kept apart (Olist's orders, order items and customers) join in
// DuckDB, as a PostgreSQL --query joins tables.

import { readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { bomEncoding, csvHead, isBigEndianUtf16, type TempCopy, utf8Copy } from "./csv-head.ts";
import { InputError } from "./input-error.ts";
import { sqlIdentifier, sqlString } from "./sql-text.ts";

/** Files a query reads as tables: CSV/TSV (gzipped or not), Parquet and JSON. */
const TABLE_FILE = /\.(csv|tsv|txt|parquet|json|jsonl|ndjson)(\.gz)?$/i;

export interface FileTable {
  name: string;
  path: string;
}

/** A file's table name: its name without extensions, lower case, other characters as `_`. */
export function tableNameOf(file: string): string {
  const stem = basename(file)
    .replace(/(\.gz)$/i, "")
    .replace(/\.[^.]*$/, "");
  const name = stem.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
  return /^[0-9]/.test(name) ? `t_${name}` : name;
}

/** The folder's table files in name order, or the one file `path` names. */
export function fileTables(path: string): FileTable[] {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch {
    throw new InputError(undefined, `${path}: no such file or folder`, {
      hint: "with --query, pass --data naming a folder of exports (or one file) to read as tables",
    });
  }
  const files = folder
    ? readdirSync(path)
        .filter((f) => TABLE_FILE.test(f))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) {
    throw new InputError(undefined, `${path}: the folder holds no CSV, Parquet or JSON file`, {
      hint: "pass --data naming the folder that holds the exports the query joins",
    });
  }
  const tables = files.map((f) => ({ name: tableNameOf(f), path: f }));
  const seen = new Map<string, string>();
  for (const t of tables) {
    const other = seen.get(t.name);
    if (other !== undefined) {
      throw new InputError(undefined, `${other} and ${t.path} are both table ${t.name}`, {
        hint: "rename one of the files, or move it out of the folder",
      });
    }
    seen.set(t.name, t.path);
  }
  return tables;
}

/**
 * SQL reading one file, every CSV column as text (ids keep their zeros; cast to compute), and the
 * copy it reads, if any. A CSV is decoded as a single file is: UTF-16 by its byte-order mark
 * (little-endian by DuckDB, big-endian from a UTF-8 copy), else from a copy in which each line
 * that is not UTF-8 is Windows-1252 (csv-head.ts utf8Copy; UTF-8 lines are kept as they are).
 */
async function scanOf(path: string): Promise<{ scan: string; copy?: TempCopy }> {
  if (/\.parquet$/i.test(path)) return { scan: `read_parquet(${sqlString(path)})` };
  if (/\.(json|jsonl|ndjson)(\.gz)?$/i.test(path)) {
    return { scan: `read_json(${sqlString(path)}, format = 'auto')` };
  }
  const csv = (file: string, encoding = "") =>
    `read_csv(${sqlString(file)}, all_varchar = true, header = true${encoding})`;
  const head = await csvHead(path);
  if (bomEncoding(head) === "utf-16" && !isBigEndianUtf16(head)) {
    return { scan: csv(path, ", encoding = 'utf-16'") };
  }
  const copy = await utf8Copy(
    path,
    true,
    bomEncoding(head) === "utf-16" ? "utf-16be" : "windows-1252",
  );
  return { scan: csv(copy.path), copy };
}

/** Why a file may not read as a table, and what to do. */
export const NOT_READ_HINT =
  "with --query each file is read as a CSV with a header line (UTF-8, Windows-1252 or UTF-16 with its byte-order mark), Parquet or JSON: convert a file in another encoding to UTF-8 first, or read it alone without --query";

/** The schema of the files' views: apart from the reader's own tables (customers, lines, raw…). */
const SCHEMA = "log_files";

/**
 * Runs `use` with a view per table file `query` names, in a schema searched first, so the query
 * names the files as they are called; the schema is dropped after. `tables`: every table's name,
 * for messages.
 */
export async function withFileViews<T>(
  connection: DuckDBConnection,
  path: string,
  query: string,
  use: (tables: string[]) => Promise<T>,
): Promise<T> {
  const tables = fileTables(path);
  // Only the tables the query names are opened (each view sniffs its file): another export in
  // the folder, large or unreadable, costs nothing and stops nothing.
  const named = tables.filter((t) => new RegExp(`\\b${t.name}\\b`, "i").test(query));
  const copies: TempCopy[] = [];
  await connection.run(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  try {
    for (const t of named) {
      const { scan, copy } = await scanOf(t.path);
      if (copy) copies.push(copy);
      await connection
        .run(`CREATE OR REPLACE VIEW ${SCHEMA}.${sqlIdentifier(t.name)} AS SELECT * FROM ${scan}`)
        .catch((error: Error) => {
          throw new InputError(undefined, `${t.path}: ${error.message.split("\n")[0]}`, {
            hint: NOT_READ_HINT,
          });
        });
    }
    await connection.run(`SET search_path = '${SCHEMA},main'`);
    return await use(tables.map((t) => t.name));
  } finally {
    await connection.run("RESET search_path");
    await connection.run(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    for (const copy of copies) await copy.remove();
  }
}
