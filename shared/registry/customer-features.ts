// The `customer_features` table (its one owner): per model version, customer id → summary (JSON)
// and feature vector. Written in batches (inside the registration transaction), read back whole
// and in id order by the forecast service and `ml track`, and per customer; one customer's rows
// are erased on request (`ml forget`).

import { and, asc, eq, getTableName, gt, inArray, sql } from "drizzle-orm";
import { type Database, queryRows, type Transaction } from "../db/database.ts";
import { customerFeatures } from "../db/schema.ts";
import { unstorableTextProblem } from "../errors/storable-text.ts";
import { customerHashSql, notRecentlyErasedSql, turnBesideErasures } from "./customer-erasures.ts";
import { RegistryInputError } from "./registry-errors.ts";

export interface CustomerFeatureInput {
  customerId: string;
  summary: Record<string, unknown>;
  features: ArrayLike<number>;
}

export interface CustomerFeatureRecord {
  summary: Record<string, unknown>;
  features: number[];
}

/**
 * Rows per INSERT. Each batch travels as ONE jsonb parameter expanded by jsonb_to_recordset: with
 * Drizzle's one-parameter-per-value inserts, building the statements alone cost more than the
 * database work (bench/registry.ts).
 */
const WRITE_BATCH = 5000;
const READ_BATCH = 5000;
/** Rows per page of a whole-version read (keyset paging on customer_id). */
const PAGE = 5000;

export interface StoredCustomerFeatures {
  customerId: string;
  summary: Record<string, unknown>;
  features: number[];
}

export class CustomerFeaturesRepository {
  constructor(private readonly db: Database) {}

  /** Writes all rows for a version in one transaction; returns how many were written. */
  async write(
    modelVersionId: number,
    rows: Iterable<CustomerFeatureInput> | AsyncIterable<CustomerFeatureInput>,
  ): Promise<number> {
    return this.db.transaction((tx) => writeCustomerFeatures(tx, modelVersionId, rows));
  }

  /** Features of the given customers under a version; customers without a row are absent. */
  async get(
    modelVersionId: number,
    customerIds: string[],
  ): Promise<Map<string, CustomerFeatureRecord>> {
    const found = new Map<string, CustomerFeatureRecord>();
    const unique = [...new Set(customerIds)];
    for (let i = 0; i < unique.length; i += READ_BATCH) {
      const rows = await readFeaturesAsJson(
        this.db,
        modelVersionId,
        unique.slice(i, i + READ_BATCH),
      );
      for (const [customerId, summary, features] of rows) {
        found.set(customerId, { summary, features: features.map(jsonFloat8) });
      }
    }
    return found;
  }
}

/** A row of {@link readFeaturesAsJson}: customer id, summary, features. */
type FeaturesJsonRow = [string, Record<string, unknown>, (number | string | null)[]];

/**
 * These customers' rows as ONE json text, for one JSON.parse: postgres.js parsing each row's
 * float8[] and jsonb on its own was half of a 1,000-id lookup. Each float is written by float8out,
 * shortest-exact, as the float8[] column read was; json, not jsonb, whose numeric has no -0. Same
 * plan and row order as reading the columns.
 */
async function readFeaturesAsJson(
  db: Database,
  modelVersionId: number,
  customerIds: string[],
): Promise<FeaturesJsonRow[]> {
  const [page] = await queryRows<{ rows: string | null }>(
    db,
    sql`select json_agg(json_build_array(customer_id, summary, features))::text as rows
        from ${customerFeatures}
        where model_version_id = ${modelVersionId}
          -- One jsonb parameter instead of one parameter per id (much faster on PGlite).
          and customer_id in (select jsonb_array_elements_text(${JSON.stringify(customerIds)}::jsonb))`,
  );
  return page?.rows ? (JSON.parse(page.rows) as FeaturesJsonRow[]) : [];
}

/**
 * A float8 as json writes it: a number, or the string "NaN", "Infinity" or "-Infinity". A NULL
 * element (only SQL by hand stores one) is NaN, as the float8[] column read made it.
 */
function jsonFloat8(value: number | string | null): number {
  return typeof value === "number" ? value : Number.parseFloat(String(value));
}

/** Every stored customer row of a model version, ordered by customer id, read in pages. */
export async function readAllCustomerFeatures(
  db: Database,
  modelVersionId: number,
): Promise<StoredCustomerFeatures[]> {
  const rows: StoredCustomerFeatures[] = [];
  let after: string | null = null;
  for (;;) {
    const page: StoredCustomerFeatures[] = await db
      .select({
        customerId: customerFeatures.customerId,
        summary: customerFeatures.summary,
        features: customerFeatures.features,
      })
      .from(customerFeatures)
      .where(
        after === null
          ? eq(customerFeatures.modelVersionId, modelVersionId)
          : and(
              eq(customerFeatures.modelVersionId, modelVersionId),
              gt(customerFeatures.customerId, after),
            ),
      )
      .orderBy(asc(customerFeatures.customerId))
      .limit(PAGE);
    for (const row of page) rows.push(row);
    if (page.length < PAGE) return rows;
    after = page[page.length - 1]?.customerId ?? null;
  }
}

/**
 * Refreshes the planner's statistics of the table's keys, after a version's `written` rows were
 * committed. Without them (PGlite never analyzes by itself, PostgreSQL's autovacuum only a minute
 * or so later) the planner took a version's rows for a few thousand and answered each keyset page
 * (`ml score`, the forecast service's load) by reading and sorting every row after the page's
 * start: 1,000,000 stored customers were scored at 1,050/s, quadratic in the version's size.
 *
 * model_version_id is analyzed every time: the new version's id is in no statistics yet, and that
 * is what the estimate was wrong about. customer_id (the costlier half: a histogram of 30,000
 * sampled text ids) only when the new rows outnumber those already stored (or the table was never
 * analyzed): a shop's next version repeats its customers, so the ids' statistics, which estimate
 * id lookups and keyset pages, still describe at least half the rows; a store that more than
 * doubles (a demo model's rows, then a shop's) gets them afresh.
 */
export async function analyzeCustomerFeatures(db: Database, written: number): Promise<void> {
  const [stored] = await queryRows<{ reltuples: number }>(
    db,
    sql`select reltuples::float8 as reltuples from pg_class
          where oid = to_regclass(${getTableName(customerFeatures)})`,
  );
  // The rows at the last ANALYZE, before this version's (-1, or 0 before PostgreSQL 14: never).
  const before = Number(stored?.reltuples ?? -1);
  if (before <= 0 || written > before) {
    await db.execute(sql`analyze ${customerFeatures} (model_version_id, customer_id)`);
  } else {
    await db.execute(sql`analyze ${customerFeatures} (model_version_id)`);
  }
}

/** Inserts feature rows with an existing database or transaction handle (used by the registry). */
export async function writeCustomerFeatures(
  db: Database,
  modelVersionId: number,
  rows: Iterable<CustomerFeatureInput> | AsyncIterable<CustomerFeatureInput>,
): Promise<number> {
  let batch: { customer_id: string; summary: unknown; features: (number | string)[] }[] = [];
  let written = 0;
  await turnBesideErasures(db);
  const notErased = sql.raw(notRecentlyErasedSql(customerHashSql("r.customer_id")));
  const flush = async () => {
    if (batch.length === 0) return;
    // Customers erased in the last day (ml forget) are left out: see notRecentlyErasedSql.
    const [inserted] = await queryRows<{ n: number }>(
      db,
      sql`with written as (
        insert into ${customerFeatures}
          (model_version_id, customer_id, summary, features)
        select ${modelVersionId}, r.customer_id, r.summary, r.features
        from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb)
          as r(customer_id text, summary jsonb, features double precision[])
        where ${notErased}
        returning 1)
      select count(*)::int as n from written`,
    );
    written += Number(inserted?.n ?? 0);
    batch = [];
  };
  let index = 0;
  for await (const row of rows) {
    if (typeof row.customerId !== "string" || row.customerId.length === 0) {
      throw new RegistryInputError(
        `customerFeatures[${index}].customerId`,
        "must be a non-empty string",
      );
    }
    const unstorable = unstorableTextProblem(row.customerId);
    if (unstorable) {
      // One such id would fail the whole registration's batch with every row in the message.
      throw new RegistryInputError(
        `customerFeatures[${index}].customerId`,
        `${JSON.stringify(row.customerId)} ${unstorable}: PostgreSQL cannot store it`,
      );
    }
    const features: (number | string)[] = new Array(row.features.length);
    for (let j = 0; j < row.features.length; j++) {
      const v = row.features[j];
      if (typeof v !== "number") {
        throw new RegistryInputError(
          `customerFeatures[${index}].features[${j}]`,
          "must be a number",
        );
      }
      // JSON has no NaN/Infinity; PostgreSQL reads these spellings into float8.
      features[j] = Number.isFinite(v) ? v : String(v);
    }
    batch.push({ customer_id: row.customerId, summary: row.summary ?? {}, features });
    index++;
    if (batch.length >= WRITE_BATCH) await flush();
  }
  await flush();
  return written;
}

/** `--shard i/n` of a version's customers: the first 32 bits of md5(customer_id) modulo `count`. */
export interface CustomerShard {
  index: number;
  count: number;
}

/** A stored customer's summary columns, as `ml score` pages them (no JSON parsing per row). */
export interface StoredSummaryRow {
  customer_id: string;
  x: number;
  tx: number;
  t: number;
  monetary: number;
  /** The feature vector as big-endian float8s (parsing a float8[] in JS cost more than scoring). */
  features: Uint8Array | null;
}

/** How many customers a version stored. */
export async function countCustomerFeatures(db: Database, modelVersionId: number): Promise<number> {
  const [row] = await queryRows<{ n: number | string }>(
    db,
    sql`select count(*)::int as n from ${customerFeatures} where model_version_id = ${modelVersionId}`,
  );
  return Number(row?.n ?? 0);
}

/** One keyset page (customer ids after `after`, in id order) of a version's stored summaries. */
export function readCustomerSummaryPage(
  db: Database,
  modelVersionId: number,
  page: { after: string | null; size: number; shard: CustomerShard | null },
): Promise<StoredSummaryRow[]> {
  const { after, size, shard } = page;
  return queryRows<StoredSummaryRow>(
    db,
    sql`select customer_id, (summary->>'x')::float8 as x, (summary->>'t_x')::float8 as tx,
          (summary->>'T')::float8 as t, coalesce((summary->>'monetary')::float8, 0) as monetary,
          (select string_agg(float8send(f), ''::bytea order by o)
             from unnest(features) with ordinality as u(f, o)) as features
        from ${customerFeatures}
        where model_version_id = ${modelVersionId}
          ${after === null ? sql`` : sql`and customer_id > ${after}`}
          ${shard ? sql`and mod(('x' || substr(md5(customer_id), 1, 8))::bit(32)::bigint, ${shard.count}) = ${shard.index}` : sql``}
        order by customer_id
        limit ${size}`,
  );
}

/**
 * The COPY statement that streams a version's stored summaries in binary (no order; columns
 * customer_id, x, t_x, T, monetary, features), for a postgres.js connection of its own:
 * far faster than pages of parsed rows, PostgreSQL only.
 */
export function customerSummaryCopyStatement(
  modelVersionId: number,
  shard: CustomerShard | null,
): string {
  const where = `model_version_id = ${Math.trunc(modelVersionId)}${
    shard
      ? ` and mod(('x' || substr(md5(customer_id), 1, 8))::bit(32)::bigint, ${Math.trunc(shard.count)}) = ${Math.trunc(shard.index)}`
      : ""
  }`;
  return `copy (select customer_id, (summary->>'x')::float8, (summary->>'t_x')::float8,
           (summary->>'T')::float8, coalesce((summary->>'monetary')::float8, 0), features
         from customer_features where ${where}) to stdout (format binary)`;
}

/**
 * Deletes these customers' rows under the given versions (the primary key's (version, customer)
 * lookups, not a scan of every version's rows); answers each deleted row's version id.
 */
export async function eraseCustomerFeatures(
  tx: Transaction,
  modelVersionIds: readonly number[],
  customerIds: readonly string[],
): Promise<number[]> {
  if (modelVersionIds.length === 0 || customerIds.length === 0) return [];
  const gone = await tx
    .delete(customerFeatures)
    .where(
      and(
        inArray(customerFeatures.modelVersionId, [...modelVersionIds]),
        // One jsonb parameter for the whole list, as in `get`.
        sql`${customerFeatures.customerId} in (select jsonb_array_elements_text(${JSON.stringify(customerIds)}::jsonb))`,
      ),
    )
    .returning({ version: customerFeatures.modelVersionId });
  return gone.map((row) => row.version);
}
