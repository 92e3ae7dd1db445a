// The case rule of the customer ids a decision store holds (the `decision_store_settings` table's
// one owner). A model trained with --ignore-id-case reads `User@X.org` and `user@x.org` as one
// customer, and then a lookup or an erasure of the decision log must take every letter case, as
// `ml forget` does. The registry records that per version (`dataWindow.idsLowerCased`); a decision
// store kept apart from the registry (DECISION_DATA_DIR elsewhere, another database) holds no
// versions, so the decision service records here what the forecast service told it.
//
// The rule is registry-wide and one-way: once any served version folded case, ids stay
// case-insensitive (decisions logged under "User@X.org" then are that customer's for good).
// An operator may state it (`npm run decisions -- id-case set`) where nothing can say it; a
// stated `exact` never overrides `any_case`, however recorded: no erasure takes fewer ids.
import { eq, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/database.ts";
import { decisionStoreSettings } from "../db/schema.ts";
import { errorChain } from "../errors/error-chain.ts";
import { anyModelVersion, lowerCasedVersionIds } from "./model-registry.ts";

const IDS_LOWER_CASED = "ids_lower_cased";
/** An operator stated the model is case-sensitive (the value names who: `{"stated_by":…}`). */
const IDS_EXACT_CASE = "ids_exact_case";
/** The value of a row an operator wrote (the forecast service's `ids_lower_cased` is `true`). */
const STATED_BY_OPERATOR = { stated_by: "operator" };

/** The migration that makes the table: the entries apply it as they open the store, a Worker's
 * database is migrated at deploy (`npm run db:migrate`), never by the Worker. */
export const SETTINGS_MIGRATION = "0016_decision_store_settings";

/** The table is missing: the database's migrations stopped before 0016. */
export class SettingsTableMissingError extends Error {
  override readonly name = "SettingsTableMissingError";
  constructor(cause: unknown) {
    super(
      `the decision store has no table decision_store_settings: migration ${SETTINGS_MIGRATION} ` +
        "is not applied; run `npm run db:migrate` against this database",
      { cause },
    );
  }
}

/** `run`, its failure on a missing decision_store_settings (42P01) said as the migration to run. */
async function namingMigration<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const missing = errorChain(err).some(
      (e) =>
        (e as { code?: unknown }).code === "42P01" &&
        String((e as { message?: unknown }).message).includes("decision_store_settings"),
    );
    throw missing ? new SettingsTableMissingError(err) : err;
  }
}

/** A real query against the table (readiness): throws SettingsTableMissingError without it. */
export async function probeDecisionStoreSettings(db: Database | Transaction): Promise<void> {
  await namingMigration(() => db.execute(sql`select 1 from ${decisionStoreSettings} limit 1`));
}

/**
 * The case rule of a lookup or an erasure: `any_case` (every letter case of an id is one
 * customer), `exact` (the id as given, in its NFC and NFD spellings: the model is case-sensitive),
 * `unknown` (taken as `exact`, but other letter cases of it may be the same customer: nothing is
 * recorded and the forecast service could not say).
 */
export type IdCase = "any_case" | "exact" | "unknown";

/**
 * Records that the ids decided for are read lower-cased. Idempotent (a second call, or two
 * processes at once, change nothing): one row, never removed but with the store.
 */
export async function recordIdsLowerCased(db: Database | Transaction): Promise<void> {
  await namingMigration(() =>
    db
      .insert(decisionStoreSettings)
      .values({ name: IDS_LOWER_CASED, value: sql`'true'::jsonb` })
      .onConflictDoNothing(),
  );
}

/** The row named `name`, if recorded. */
async function settingRow(db: Database | Transaction, name: string) {
  const [row] = await namingMigration(() =>
    db
      .select({ value: decisionStoreSettings.value, recordedAt: decisionStoreSettings.recordedAt })
      .from(decisionStoreSettings)
      .where(eq(decisionStoreSettings.name, name))
      .limit(1),
  );
  return row ?? null;
}

/**
 * Whether ids of any letter case are one customer in this store: a version here was trained with
 * --ignore-id-case (the store is the registry's), or the decision service recorded that the
 * forecast service answers from one (the store is kept apart).
 */
export async function idsAnyCase(db: Database | Transaction): Promise<boolean> {
  const recorded = await namingMigration(() =>
    db
      .select({ name: decisionStoreSettings.name })
      .from(decisionStoreSettings)
      .where(eq(decisionStoreSettings.name, IDS_LOWER_CASED))
      .limit(1),
  );
  if (recorded.length > 0) return true;
  return (await lowerCasedVersionIds(db)).length > 0;
}

/**
 * The rule as this store holds it: `any_case` as idsAnyCase; `exact` when it holds model versions
 * and none folds case (the store is the registry's: its versions say it), or an operator stated it;
 * `unknown` when it holds none and nothing is stated (a store kept apart, the rule not recorded
 * yet: only the forecast service can say).
 */
export async function storedIdCase(db: Database | Transaction): Promise<IdCase> {
  if (await idsAnyCase(db)) return "any_case";
  if (await anyModelVersion(db)) return "exact";
  return (await settingRow(db, IDS_EXACT_CASE)) ? "exact" : "unknown";
}

/** The rule this store holds and where it came from (what `decisions id-case` prints). */
export interface RecordedIdCase {
  idCase: IdCase;
  source: "operator" | "forecast service" | "model versions" | "nothing recorded";
  /** When the row was written; null: read from the model versions, or nothing recorded. */
  recordedAt: Date | null;
}

const statedByOperator = (value: unknown) =>
  (value as { stated_by?: unknown } | null)?.stated_by === "operator";

/** The rule as storedIdCase decides it, with its source: any_case first, as it wins. */
export async function recordedIdCase(db: Database | Transaction): Promise<RecordedIdCase> {
  const folded = await settingRow(db, IDS_LOWER_CASED);
  if (folded) {
    const source = statedByOperator(folded.value) ? "operator" : "forecast service";
    return { idCase: "any_case", source, recordedAt: folded.recordedAt };
  }
  if ((await lowerCasedVersionIds(db)).length > 0) {
    return { idCase: "any_case", source: "model versions", recordedAt: null };
  }
  if (await anyModelVersion(db))
    return { idCase: "exact", source: "model versions", recordedAt: null };
  const exact = await settingRow(db, IDS_EXACT_CASE);
  if (exact) return { idCase: "exact", source: "operator", recordedAt: exact.recordedAt };
  return { idCase: "unknown", source: "nothing recorded", recordedAt: null };
}

/**
 * An operator's statement of the rule. `any_case` is recorded as the forecast service's would be
 * (the one-way row). `exact` is refused (null) once any_case holds, by any source: decisions
 * logged under another case may then be that customer's, and an erasure must take them. Idempotent;
 * answers the rule now held.
 */
export async function stateIdCase(
  db: Database,
  rule: "any_case" | "exact",
): Promise<RecordedIdCase | null> {
  return db.transaction(async (tx) => {
    const name = rule === "any_case" ? IDS_LOWER_CASED : IDS_EXACT_CASE;
    if (rule === "exact" && (await storedIdCase(tx)) === "any_case") return null;
    await namingMigration(() =>
      tx
        .insert(decisionStoreSettings)
        .values({ name, value: STATED_BY_OPERATOR })
        .onConflictDoNothing(),
    );
    return recordedIdCase(tx);
  });
}
