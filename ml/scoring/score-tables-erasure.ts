// `ml forget` in the tables `ml score --to postgres://… --table T` wrote into the registry's own
// database: found by their layout (createScoresTableSql: customer_id, model, version and
// scored_at), the customers' rows deleted in every spelling. Tables in other databases, and CSV
// or Parquet files, stay outside its reach (score again).
import { type Database, queryRows } from "@pp/shared/db/database.ts";
import { storedSpellings } from "@pp/shared/registry/forget-customer.ts";
import { sql } from "drizzle-orm";

/** Rows erased per scores table (`schema.table`), only those that held the customers. */
export type ScoreTableErasure = Array<{ table: string; rows: number }>;

/** The tables of this database laid out as ml score writes them. */
async function scoreTables(db: Database): Promise<Array<{ schema: string; name: string }>> {
  return queryRows(
    db,
    sql`select table_schema as schema, table_name as name from information_schema.columns
      where table_schema not in ('pg_catalog', 'information_schema')
      group by table_schema, table_name
      having count(*) filter (where column_name in ('customer_id', 'model', 'version', 'scored_at')) = 4
      order by 1, 2`,
  );
}

export async function forgetInScoreTables(
  db: Database,
  customerIds: readonly string[],
): Promise<ScoreTableErasure> {
  const ids = JSON.stringify(storedSpellings(customerIds));
  const out: ScoreTableErasure = [];
  for (const { schema, name } of await scoreTables(db)) {
    const table = sql.identifier(schema);
    const rows = await queryRows<{ n: number }>(
      db,
      sql`with gone as (delete from ${table}.${sql.identifier(name)}
        where customer_id in (select jsonb_array_elements_text(${ids}::jsonb)) returning 1)
        select count(*)::int as n from gone`,
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) out.push({ table: `${schema}.${name}`, rows: n });
  }
  return out;
}
