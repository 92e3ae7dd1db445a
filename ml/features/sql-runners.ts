// Adapters that let summarizeWithSql run on DuckDB (@duckdb/node-api) and on PostgreSQL
// (postgres.js); both take the query's $1..$n placeholders as they are.

import type { DuckDBConnection } from "@duckdb/node-api";
import type { Sql } from "postgres";
import type { SqlRunner } from "./sql-summaries.ts";

export function duckDbRunner(connection: DuckDBConnection): SqlRunner {
  return async (query, params) => {
    const reader = await connection.runAndReadAll(query, params);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  };
}

export function postgresRunner(sql: Sql): SqlRunner {
  return async (query, params) => {
    const rows = await sql.unsafe(query, params);
    return rows as unknown as Record<string, unknown>[];
  };
}
