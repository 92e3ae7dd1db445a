// The database handle type the repositories accept: a Drizzle PostgreSQL database over the platform
// schema, whichever driver (postgres.js or PGlite) is underneath. No driver is imported here.

import type { ExtractTablesWithRelations, SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import type * as schema from "./schema.ts";

export type Schema = typeof schema;

/** A Drizzle database over the platform schema, on either driver. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/** An open transaction on a {@link Database}. */
export type Transaction = PgTransaction<
  PgQueryResultHKT,
  Schema,
  ExtractTablesWithRelations<Schema>
>;

/** Which driver a {@link Database} runs on. */
export type DatabaseDriver = "postgres" | "pglite";

/** Rows of a raw SQL query on either driver (postgres.js returns an array, PGlite `{ rows }`). */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** The rows of a raw query's result on either driver (an array, or PGlite's `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return (result as { rows?: T[] }).rows ?? [];
}
