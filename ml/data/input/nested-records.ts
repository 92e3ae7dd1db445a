// JSON (and Parquet) exports from shop APIs nest their records: Shopify's {"orders": [...]} with
// the customer as {"customer": {"id": …}}, Stripe's {"object": "list", "data": [...]}. A file with
// one column that is a list of records is read as those records, and a column named by a dotted
// path (customer.id) is read from inside its record, so flags name fields as the API documents.
import type { DuckDBConnection } from "@duckdb/node-api";
import { sqlIdentifier } from "./sql-text.ts";

type Describe = (from: string) => Promise<Map<string, string>>;

/** Records nested deeper than this are not listed among the columns in messages. */
const LISTED_DEPTH = 3;

/**
 * The scan (with its column types, as the caller described it) with its records unwrapped and
 * the dotted `needed` columns lifted to the top, and its column types; `available` lists the
 * columns a flag may name, dotted paths included.
 */
export async function flattenRecords(
  connection: DuckDBConnection,
  file: { scan: string; types: Map<string, string> },
  needed: string[],
  describe: Describe,
): Promise<{ scan: string; types: Map<string, string>; available: string[] }> {
  const { scan } = file;
  let from = scan;
  let types = file.types;
  // One column that is a list of records, beside none or a few scalars (Stripe's "object",
  // "has_more", "url"): a wrapper object. Read the records themselves.
  const lists = [...types].filter(([, type]) => isRecordList(type));
  const [list] = lists;
  if (lists.length === 1 && list && !needed.every((c) => types.has(c))) {
    from = `(SELECT w.* FROM (SELECT unnest(${sqlIdentifier(list[0])}) AS w FROM ${scan}))`;
    types = await describe(from);
  }
  const available = await pathsOf(connection, from, types, "", LISTED_DEPTH);
  const lifted = needed.filter((c) => !types.has(c) && c.includes(".") && available.includes(c));
  if (lifted.length === 0) return { scan: from, types, available: [...types.keys(), ...available] };
  const paths = lifted.map(
    (c) => `${c.split(".").map(sqlIdentifier).join(".")} AS ${sqlIdentifier(c)}`,
  );
  from = `(SELECT *, ${paths.join(", ")} FROM ${from})`;
  types = await describe(from);
  return { scan: from, types, available: [...types.keys(), ...available] };
}

function isRecordList(type: string): boolean {
  return type.startsWith("STRUCT(") && type.endsWith("[]");
}

/** Dotted paths to the fields of the record columns (down to `depth` levels). */
async function pathsOf(
  connection: DuckDBConnection,
  from: string,
  types: Map<string, string>,
  prefix: string,
  depth: number,
): Promise<string[]> {
  if (depth === 0) return [];
  const paths: string[] = [];
  for (const [name, type] of types) {
    if (!type.startsWith("STRUCT(") || type.endsWith("[]")) continue;
    const path = `${prefix}${name}`;
    const reader = await connection.runAndReadAll(
      `DESCRIBE SELECT ${path.split(".").map(sqlIdentifier).join(".")}.* FROM ${from}`,
    );
    const rows = reader.getRowObjectsJS() as { column_name: string; column_type: string }[];
    const fields = new Map(rows.map((r) => [r.column_name, r.column_type]));
    for (const field of fields.keys()) paths.push(`${path}.${field}`);
    paths.push(...(await pathsOf(connection, from, fields, `${path}.`, depth - 1)));
  }
  return paths;
}
