// The `decision_log` table (its one owner): one row per decision the decision service made (inputs,
// chosen action, scores, the policy and model versions behind it). The decision service's audit
// sink appends through `appendDecisions` (and parks refused rows with `writeDeadLetters`), as do
// campaign simulations and the registry bench; reads per customer and by id; erasure of one
// customer's rows and pruning by age (the retention an operator sets) delete through it too.
//
// The rows travel as ONE jsonb parameter expanded by jsonb_to_recordset: Drizzle's multi-row
// VALUES costs a bound parameter per column per row, and building and binding those took as long
// as the insert itself (on PGlite half the per-row cost; see bench:decision); its rows are compact
// (decision-log-payload.ts). Keyed by decision_id with ON CONFLICT DO NOTHING, so re-sending a
// batch whose commit was not acknowledged is harmless.

import { and, count, desc, eq, getTableName, inArray, lt, type SQL, sql } from "drizzle-orm";
import { customerIdSpellings } from "../contracts/forecast-request.ts";
import { type Database, rowsOf, type Transaction } from "../db/database.ts";
import {
  type DecisionLogDeadLetterRow,
  type DecisionLogRow,
  decisionLog,
  decisionLogDeadLetter,
  type NewDecisionLogRow,
} from "../db/schema.ts";
import {
  customerHash,
  customerHashSql,
  dropExpiredErasures,
  erasureCutoff,
  lastErasureOf,
  notErasedSql,
  recordErasures,
} from "./customer-erasures.ts";
import { type ClockReading, type DatabaseClock, databaseClockOf } from "./database-clock.ts";
import { idsAnyCase } from "./decision-id-case.ts";
import { sentPayload, sentRecords } from "./decision-log-payload.ts";

/** Rows per INSERT statement (several statements share one transaction). */
const ROWS_PER_INSERT = 1000;

export interface DecisionQuery {
  /** Most rows to return (default 100, newest first). */
  limit?: number;
  /** Only decisions strictly before this time (for paging). */
  before?: Date;
  /**
   * With `before`: decisions before (before, beforeId) in the (decided_at, decision_id) order,
   * so a page boundary inside decisions of the same instant (one batch) skips none of them.
   */
  beforeId?: string;
  /** Ids of any letter case are one customer, as the caller decided it (not read again); else
   * read from the store (decision-id-case.ts). */
  anyCase?: boolean;
}

export class DecisionLogRepository {
  constructor(private readonly db: Database) {}

  /** Appends decisions atomically (all or none; ids already stored are skipped); returns rows sent. */
  async insertMany(rows: NewDecisionLogRow[]): Promise<number> {
    await appendDecisions(this.db, rows);
    return rows.length;
  }

  /**
   * Decisions about one customer, newest first: of every spelling of its id (as given, NFC, NFD),
   * and once a version ignores letter case every case of them, as eraseCustomer erases them; the
   * spelling sent only listed none of "José" logged decomposed, nor of user@x.org for User@X.org.
   */
  async findByCustomer(customerId: string, query: DecisionQuery = {}): Promise<DecisionLogRow[]> {
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 10_000);
    const spellings = customerIdSpellings(customerId);
    const anyCase = query.anyCase ?? (await this.idsAnyCase());
    const ids = JSON.stringify(spellings);
    const given = sql`(select lower(t.id) from jsonb_array_elements_text(${ids}::jsonb) as t(id))`;
    return this.db
      .select()
      .from(decisionLog)
      .where(
        and(
          // A scan in any case (no index on lower(customer_id)), as the erasure's.
          anyCase
            ? sql`lower(${decisionLog.customerId}) in ${given}`
            : inArray(decisionLog.customerId, spellings),
          pageEnd(query),
        ),
      )
      .orderBy(desc(decidedAtMs), desc(decisionLog.decisionId))
      .limit(limit);
  }

  /** The stored rows of these decisions (in no particular order). */
  async getMany(decisionIds: readonly string[]): Promise<DecisionLogRow[]> {
    if (decisionIds.length === 0) return [];
    return this.db
      .select()
      .from(decisionLog)
      .where(inArray(decisionLog.decisionId, [...decisionIds]));
  }

  /** Whether any of these decisions is stored (one indexed lookup per id, stopping at the first). */
  async anyStored(decisionIds: readonly string[]): Promise<boolean> {
    if (decisionIds.length === 0) return false;
    const rows = await this.db
      .select({ id: decisionLog.decisionId })
      .from(decisionLog)
      .where(inArray(decisionLog.decisionId, [...decisionIds]))
      .limit(1);
    return rows.length > 0;
  }

  /** Up to `limit` of a campaign's latest logged decisions: each customer and group. */
  async campaignGroupSample(
    campaignId: string,
    limit: number,
  ): Promise<Array<{ id: string; group: string | null }>> {
    return this.db
      .select({ id: decisionLog.customerId, group: decisionLog.assignmentGroup })
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, campaignId))
      .orderBy(desc(decisionLog.decidedAt))
      .limit(limit);
  }

  /**
   * A campaign's logged customers, each in the group of its first logged decision, and the time
   * of the campaign's first decision (null: none logged). What a campaign started before its
   * share was pinned has held out (campaign-shares.ts).
   */
  async campaignGroups(
    campaignId: string,
  ): Promise<{ control: string[]; treated: string[]; since: Date | null }> {
    const rows = await this.db
      .selectDistinctOn([decisionLog.customerId], {
        id: decisionLog.customerId,
        group: decisionLog.assignmentGroup,
        at: decisionLog.decidedAt,
      })
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, campaignId))
      .orderBy(decisionLog.customerId, decisionLog.decidedAt);
    const control = rows.filter((r) => r.group === "control").map((r) => r.id);
    const treated = rows.filter((r) => r.group !== "control").map((r) => r.id);
    const since = rows.reduce<Date | null>((a, r) => (a === null || r.at < a ? r.at : a), null);
    return { control, treated, since };
  }

  /** Rows about one customer (its ids as findByCustomer's) that were refused and parked, oldest
   * first; `anyCase` as findByCustomer's. */
  async deadLettersOfCustomer(
    customerId: string,
    anyCase?: boolean,
  ): Promise<DecisionLogDeadLetterRow[]> {
    const fold = anyCase ?? (await this.idsAnyCase());
    return parkedRowsOf(this.db, customerIdSpellings(customerId), fold);
  }

  /** Whether ids of any letter case are one customer here (decision-id-case.ts). */
  private idsAnyCase(): Promise<boolean> {
    return idsAnyCase(this.db);
  }

  /**
   * Erases every stored row about one customer, decisions and parked rows, in one transaction;
   * decisions about them still being made are not written after it (eraseCustomerDecisions).
   * `anyCase`: every letter case or not, as the caller decided it; else read in the transaction.
   */
  eraseCustomer(customerId: string, anyCase?: boolean): Promise<ErasedRows> {
    // Every spelling of the id (as given, NFC, NFD), as ml forget erases: /decision logs ids as
    // sent, and "José" decomposed stayed after an erasure of "José" composed.
    const spellings = customerIdSpellings(customerId);
    return this.db.transaction(async (tx) => {
      // Read under the writers' lock (which erasures take in turn, ml forget's too), so an
      // erasure of the same customer committing meanwhile is seen, and before this one's markers.
      await lockDecisionWriters(tx);
      const erasedBefore = await lastErasureOf(
        tx,
        anyCase ? [...spellings, ...spellings.map((id) => id.toLowerCase())] : spellings,
      );
      const erased = await eraseCustomerDecisions(tx, spellings, {
        forgotten: false,
        ...(anyCase === undefined ? {} : { anyCase }),
      });
      return { ...erased, erasedBefore };
    });
  }

  /**
   * Deletes decisions made, and parked rows refused, before `cutoff`, `batchRows` at a time, each
   * batch its own statement: an interrupted prune has removed whole batches of old rows only, and
   * the decisions being written meanwhile never wait long for it. `onDeleted` hears of each
   * committed batch, so a prune that fails half-way (database gone) still counts what it removed.
   * An aborted `signal` ends it between batches (a service stopping): the rest goes next time.
   */
  async pruneBefore(
    cutoff: Date,
    options: {
      batchRows?: number;
      onDeleted?: (deleted: PrunedRows) => void;
      signal?: AbortSignal;
    } = {},
  ): Promise<PrunedRows & { stoppedEarly?: true }> {
    const { batchRows = 5000, onDeleted, signal } = options;
    let decisions = 0;
    for (;;) {
      if (signal?.aborted) return { decisions, deadLetters: 0, stoppedEarly: true };
      const old = this.db
        .select({ id: decisionLog.decisionId })
        .from(decisionLog)
        .where(lt(decisionLog.decidedAt, cutoff))
        .limit(batchRows);
      const gone = await this.db
        .delete(decisionLog)
        .where(inArray(decisionLog.decisionId, old))
        .returning({ id: decisionLog.decisionId });
      decisions += gone.length;
      onDeleted?.({ decisions: gone.length, deadLetters: 0 });
      // Not `< batchRows`: another pruner may have taken rows of this batch, with old ones left.
      if (gone.length === 0) break;
    }
    const deadLetters = await this.db
      .delete(decisionLogDeadLetter)
      .where(lt(decisionLogDeadLetter.failedAt, cutoff))
      .returning({ id: decisionLogDeadLetter.id });
    onDeleted?.({ decisions: 0, deadLetters: deadLetters.length });
    await dropExpiredErasures(this.db);
    return { decisions, deadLetters: deadLetters.length };
  }
}

/** Rows a prune or an erasure deleted, per table. */
export interface PrunedRows {
  decisions: number;
  deadLetters: number;
}

/**
 * An erasure's rows, and when the customer was last erased before it (within the markers' day;
 * null: not erased in that time): an erasure retried after its answer was lost finds 0 rows, and
 * this says why.
 */
export interface ErasedRows extends PrunedRows {
  erasedBefore: Date | null;
}

/**
 * Waits for the decision inserts under way and holds back new ones until the caller's transaction
 * ends (SHARE ROW EXCLUSIVE conflicts with their ROW EXCLUSIVE, not with readers).
 */
async function lockDecisionWriters(tx: Transaction): Promise<void> {
  const tables = [getTableName(decisionLog), getTableName(decisionLogDeadLetter)];
  await tx.execute(
    sql.raw(`lock table ${tables.map((t) => `"${t}"`).join(", ")} in share row exclusive mode`),
  );
}

/**
 * Deletes these customers' decisions and parked rows inside the caller's transaction, and marks
 * them erased: the writers are held back until it commits, and then skip rows about them decided
 * before it (customer-erasures.ts). Call it last in the transaction: writers wait from here on.
 * Once any version was trained with --ignore-id-case (a version here, or the rule the decision
 * service recorded from the forecast service: decision-id-case.ts), every letter case of an id goes.
 * `forgotten`: part of `ml forget`, so registrations leave them out too (recordErasures).
 * `anyCase`: the rule as the caller decided it (IdCaseRule for one request; true from a registry
 * in another database holding such a version), not read again; unset, it is read here.
 */
export async function eraseCustomerDecisions(
  tx: Transaction,
  customerIds: readonly string[],
  options: { forgotten: boolean; anyCase?: boolean },
): Promise<PrunedRows> {
  if (customerIds.length === 0) return { decisions: 0, deadLetters: 0 };
  await lockDecisionWriters(tx);
  // Once a version is trained with --ignore-id-case, `User@X.org` and `user@x.org` are one
  // customer, and the decisions sent for either are theirs. A scan then (no index on
  // lower(customer_id): erasures are rare, decisions are not).
  const anyCase = options.anyCase ?? (await idsAnyCase(tx));
  const parked = await parkedRowsOf(tx, customerIds, anyCase);
  // One jsonb parameter for the whole list (a parameter per id would cap a bulk request).
  const ids = JSON.stringify(customerIds);
  const given = sql`(select t.id from jsonb_array_elements_text(${ids}::jsonb) as t(id))`;
  const decisions = await tx
    .delete(decisionLog)
    .where(
      anyCase
        ? sql`lower(${decisionLog.customerId}) in (select lower(g.id) from ${given} as g)`
        : sql`${decisionLog.customerId} in ${given}`,
    )
    .returning({
      id: decisionLog.decisionId,
      customerId: decisionLog.customerId,
      answerRow: sql<string | null>`${decisionLog.inputs}->>${ANSWER_ROW}`,
    });
  await dropKeptAnswers(tx, decisions);
  const deadLetters = parked.length
    ? await tx
        .delete(decisionLogDeadLetter)
        .where(
          inArray(
            decisionLogDeadLetter.id,
            parked.map((row) => row.id),
          ),
        )
        .returning({ id: decisionLogDeadLetter.id })
    : [];
  // Markers for the ids as given; in any case also for each spelling erased, and for the
  // lower-cased id though not logged yet (its marker holds back a decision in flight under it).
  const spellings = anyCase
    ? [
        ...customerIds.map((id) => id.toLowerCase()),
        ...decisions.map((row) => row.customerId),
        ...parked.map((row) => parkedCustomer(row.rowJson)).filter((id) => typeof id === "string"),
      ]
    : [];
  await recordErasures(tx, [...new Set([...customerIds, ...spellings])], {
    forgotten: options.forgotten,
  });
  return { decisions: decisions.length, deadLetters: deadLetters.length };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A keyed batch's answer row keeps every member's decision by position (action, profit, decision
 * id): a member erased, that answer is dropped too, so it holds no trace of them and the batch's
 * replays end (a 409 asking for a new key) instead of answering a decision the log no longer has.
 */
async function dropKeptAnswers(
  tx: Transaction,
  erased: ReadonlyArray<{ answerRow: string | null }>,
): Promise<void> {
  // Only ids (sealRows writes one): anything else would fail the cast below and the erasure.
  const rows = [
    ...new Set(erased.map((row) => row.answerRow).filter((id) => id !== null && UUID.test(id))),
  ];
  if (rows.length === 0) return;
  await tx
    .update(decisionLog)
    .set({ scores: sql`${decisionLog.scores} - ${ANSWER_JSON}::text` })
    .where(
      // Cast on the ids' side: the primary key's index finds the rows (a cast column scans the log).
      sql`${decisionLog.decisionId} in (select jsonb_array_elements_text(${JSON.stringify(rows)}::jsonb)::uuid)`,
    );
}

/**
 * A decision's time in milliseconds, as answered and as a page's `before` gives it: pages are in
 * this order, so a row with microseconds (the column's default, now()) is not skipped past a
 * cursor that cannot hold them (8 rows within a millisecond, 3 a page, listed 3).
 */
const decidedAtMs = sql`date_trunc('milliseconds', ${decisionLog.decidedAt})`;

function pageEnd({ before, beforeId }: DecisionQuery): SQL | undefined {
  if (!before) return undefined;
  const at = sql`${before.toISOString()}::timestamptz`;
  if (!beforeId) return sql`${decidedAtMs} < ${at}`;
  return sql`(${decidedAtMs}, ${decisionLog.decisionId}) < (${at}, ${beforeId}::uuid)`;
}

/** The parked rows about these customers (`anyCase`: their ids in any letter case). */
async function parkedRowsOf(
  db: Database | Transaction,
  customerIds: readonly string[],
  anyCase = false,
): Promise<DecisionLogDeadLetterRow[]> {
  const fold = (id: string) => (anyCase ? id.toLowerCase() : id);
  const needles = JSON.stringify(customerIds.map((id) => fold(customerNeedle(id))));
  const haystack = anyCase
    ? sql`lower(${decisionLogDeadLetter.rowJson})`
    : sql`${decisionLogDeadLetter.rowJson}`;
  const candidates = await db
    .select()
    .from(decisionLogDeadLetter)
    .where(
      sql`exists (select 1 from jsonb_array_elements_text(${needles}::jsonb) as needle(text) where strpos(${haystack}, needle.text) > 0)`,
    )
    .orderBy(decisionLogDeadLetter.id);
  const wanted = new Set(customerIds.map(fold));
  return candidates.filter((row) => {
    const id = parkedCustomer(row.rowJson);
    return typeof id === "string" && wanted.has(fold(id));
  });
}

/**
 * The text a parked row's JSON (decisionLogRecord's, customer_id right after decided_at) holds
 * for this customer. JSON.stringify escapes quotes, NUL and lone surrogates, so the needle is
 * storable text and can only match the customer_id field or a nested key of that name; the
 * candidates are confirmed by parsing.
 */
function customerNeedle(customerId: string): string {
  return `"customer_id":${JSON.stringify(customerId)},`;
}

function parkedCustomer(rowJson: string): unknown {
  try {
    return (JSON.parse(rowJson) as { customer_id?: unknown }).customer_id;
  } catch {
    return undefined;
  }
}

/** One row by the table's column names: a parked row's JSON, and the insert's payload (as
 * decision-log-payload.ts sends it). */
export function decisionLogRecord(row: NewDecisionLogRow) {
  return {
    decision_id: row.decisionId,
    // Absent: the column default (now()) applies, as with Drizzle.
    decided_at: row.decidedAt ? row.decidedAt.toISOString() : null,
    customer_id: row.customerId,
    inputs: row.inputs,
    chosen_action: row.chosenAction,
    scores: row.scores,
    policy_name: row.policyName,
    policy_version: row.policyVersion,
    model_name: row.modelName,
    model_version: row.modelVersion,
    campaign_id: row.campaignId ?? null,
    assignment_group: row.assignmentGroup ?? null,
    would_have_action: row.wouldHaveAction ?? null,
    explored: row.explored ?? null,
    propensity: row.propensity ?? null,
  };
}

/**
 * The inputs key naming, in each other row of a keyed request (an Idempotency-Key), the row that
 * keeps the request's answer and hash. The append writes such a row only beside its answer row:
 * two processes deciding different bodies under one key at once each write their rows; the one
 * whose answer row lost (it was already there, or another request's) writes none of its other
 * rows either, where it used to leave the rows of customers only its body had.
 */
export const ANSWER_ROW = "answer_row";

/** The scores key of a keyed request's answer row that keeps the answer as sent (JSON text). */
export const ANSWER_JSON = "answer_json";

/** A keyed request's answer row (by id and the request's hash) and the answer it is to keep. */
export interface KeptAnswer {
  decisionId: string;
  requestSha256: string;
  answerJson: string;
}

/**
 * Replaces the answer a keyed request's answer row keeps, when that row is this request's (its
 * hash): a batch whose other rows an erasure skipped is answered without them, and its replays
 * must say the same. Run in the transaction of the insert that skipped them (amendsOf), so no
 * reader ever sees the answer as it was before.
 */
async function replaceKeptAnswer(db: Database | Transaction, kept: KeptAnswer): Promise<void> {
  await db
    .update(decisionLog)
    .set({
      scores: sql`jsonb_set(${decisionLog.scores}, ${`{${ANSWER_JSON}}`}::text[], to_jsonb(${kept.answerJson}::text))`,
    })
    .where(
      and(
        eq(decisionLog.decisionId, kept.decisionId),
        sql`${decisionLog.inputs}->>'request_sha256' = ${kept.requestSha256}`,
      ),
    );
}

/** Given the ids of the rows an erasure skipped, the answers to keep instead of those sealed. */
export type AmendKeptAnswers = (erased: readonly string[]) => KeptAnswer[];

const TABLE = `"${getTableName(decisionLog)}"`;
const COLUMNS = `decision_id, decided_at, customer_id, inputs, chosen_action, scores, policy_name,
      policy_version, model_name, model_version, campaign_id, assignment_group, would_have_action,
      explored, propensity`;

/** The rows sent (one jsonb parameter), less those about customers erased since they were decided. */
const SENT = sentRecords();
const NOT_ERASED = notErasedSql(customerHashSql("r.customer_id"), "r.erasure_cutoff");
const RECORDS = `${SENT} where ${NOT_ERASED}`;

/**
 * The insert, as ONE fixed text with ONE parameter, run as a named prepared statement: each
 * connection parses and plans it once and then only executes it (planning it cost more than
 * running it, on PGlite 1.6-3.7 ms per commit). Drizzle's `execute` never prepares, so it goes
 * through the session's prepareQuery with a name (postgres.js then prepares it per connection).
 */
const APPEND_SQL = `with written as (insert into ${TABLE} (${COLUMNS})
    select decision_id, coalesce(decided_at, now()), customer_id, inputs, chosen_action,
      scores, policy_name, policy_version, model_name, model_version, campaign_id,
      assignment_group, would_have_action, explored, propensity
    from ${RECORDS}
    on conflict do nothing
    returning 1)
  select count(*)::int as n from written`;

/**
 * The insert for rows of which some name an answer row (keyed batches); others take APPEND_SQL,
 * as this one costs more (10,000 keyed rows: 257 → 298 ms on PostgreSQL, 305 → 337 on PGlite).
 *
 * Rows without an answer row (every unkeyed decision, and each keyed request's answer row) go in
 * first (`heads`). A row with one is written when its answer row went in with it (this statement,
 * the same request's hash), or when its answer row is not in this statement and the log holds no
 * other request's under that id. So it is skipped when its answer row lost a conflict (the key
 * was answered already), when the stored answer is another request's, and when its answer row
 * was sent here but skipped for an erasure (r keeps such rows, not `kept`): nothing then stays
 * under the key, so the request's 409 can be retried with the same key (its other rows used to
 * stay, and the key was refused for good). Order-independent: when a refused row splits a group
 * (audit-log.ts) the halves may be written either way round, and a refused answer row does not
 * hold back the rest.
 */
const APPEND_KEYED_SQL = `with r as materialized (
    select decision_id, coalesce(decided_at, now()) as decided_at, customer_id, inputs,
      chosen_action, scores, policy_name, policy_version, model_name, model_version, campaign_id,
      assignment_group, would_have_action, explored, propensity,
      (inputs->>'${ANSWER_ROW}')::uuid as answer_row,
      ${NOT_ERASED} as kept
    from ${SENT}
  ), heads as (
    insert into ${TABLE} (${COLUMNS})
    select ${COLUMNS} from r where answer_row is null and kept
    on conflict do nothing
    returning decision_id, inputs->>'request_sha256' as request_sha256
  ), tails as (
    insert into ${TABLE} (${COLUMNS})
    select ${COLUMNS} from r m
    where m.answer_row is not null and m.kept
      and (exists (select 1 from heads h where h.decision_id = m.answer_row
            and h.request_sha256 is not distinct from m.inputs->>'request_sha256')
        or (m.answer_row not in (select decision_id from r where answer_row is null)
          and not exists (select 1 from ${TABLE} d
            where d.decision_id = m.answer_row
              and d.inputs->>'request_sha256' is distinct from m.inputs->>'request_sha256')))
    on conflict do nothing
    returning 1
  )
  select ((select count(*) from heads) + (select count(*) from tails))::int as n`;

/**
 * Of the rows sent (RECORDS' parameter), the ids of those about a customer erased since they were
 * decided: the rows the insert's condition skipped for that reason (not those already logged).
 * Markers are only added or moved later, so this read sees at least the insert's skips; a row it
 * names that the insert did write was deleted by the erasure that set the marker.
 */
const ERASED_SQL = `select r.decision_id::text as id
    from ${sentRecords(["decision_id", "customer_id", "erasure_cutoff"])}
    where not ${NOT_ERASED}`;

/** What an append did: rows written, and the ids of rows skipped because their customer was
 * erased since they were decided (their requests must not be answered as logged). */
export interface AppendOutcome {
  written: number;
  erased: string[];
}

/** Inserts the rows (one statement); returns how many were written and which an erasure skipped. */
async function insertRows(
  db: Database | Transaction,
  rows: readonly NewDecisionLogRow[],
  clock: ClockReading,
): Promise<AppendOutcome> {
  const json = sentPayload(
    rows.map((row) => ({
      ...decisionLogRecord(row),
      erasure_cutoff: erasureCutoff(row.decidedAt, clock),
    })),
  );
  const keyed = rows.some((row) => ANSWER_ROW in row.inputs);
  const [text, name] = keyed
    ? [APPEND_KEYED_SQL, "decision_log_append_keyed"]
    : [APPEND_SQL, "decision_log_append"];
  const result = await db._.session
    .prepareQuery({ sql: text, params: [json] }, undefined, name, false)
    .execute();
  const written = Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  // Only when rows were missing (already logged, a lost key, or erased): the usual insert, all
  // rows written, costs no second statement.
  if (written >= rows.length) return { written, erased: [] };
  const skipped = await db._.session
    .prepareQuery({ sql: ERASED_SQL, params: [json] }, undefined, "decision_log_erased", false)
    .execute();
  return { written, erased: rowsOf<{ id: string }>(skipped).map((r) => r.id) };
}

/**
 * Appends decisions all or none; a decision_id already stored is skipped (re-sends are harmless).
 * Rows about a customer erased since they were decided are skipped: `clock` (this process's clock
 * read against the database's, by default one per handle) places each decision on the erasure's
 * clock. Returns the rows written, skipped ones not counted.
 */
export async function appendDecisions(
  db: Database,
  rows: readonly NewDecisionLogRow[],
  clock: DatabaseClock = databaseClockOf(db),
): Promise<number> {
  return (await appendDecisionsReporting(db, rows, clock)).written;
}

/**
 * appendDecisions, also saying which rows were skipped because their customer was erased since
 * they were decided (by decision id), so the decision service refuses those decisions instead of
 * answering them (a 200 is only for a logged decision).
 */
export async function appendDecisionsReporting(
  db: Database,
  rows: readonly NewDecisionLogRow[],
  clock: DatabaseClock = databaseClockOf(db),
  amend?: AmendKeptAnswers,
): Promise<AppendOutcome> {
  if (rows.length === 0) return { written: 0, erased: [] };
  const reading = await clock.reading(db);
  if (rows.length <= ROWS_PER_INSERT && !amend) return insertRows(db, rows, reading);
  // With `amend` (keyed batches), one transaction: the rows and the answer kept without the rows
  // an erasure skipped commit together (a replay never reads the answer as first sealed).
  return db.transaction(async (tx) => {
    const outcome: AppendOutcome = { written: 0, erased: [] };
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = await insertRows(tx, rows.slice(i, i + ROWS_PER_INSERT), reading);
      outcome.written += part.written;
      outcome.erased.push(...part.erased);
    }
    if (amend && outcome.erased.length > 0) {
      for (const kept of amend(outcome.erased)) await replaceKeptAnswer(tx, kept);
    }
    return outcome;
  });
}

/**
 * Parks rows the table refused in `decision_log_dead_letter`, as JSON text (always storable).
 * The customer's hash is taken here: a refused id may be text the database cannot hold.
 */
export async function writeDeadLetters(
  db: Database,
  entries: readonly { row: NewDecisionLogRow; reason: string }[],
  clock: DatabaseClock = databaseClockOf(db),
): Promise<void> {
  if (entries.length === 0) return;
  const reading = await clock.reading(db);
  const records = await Promise.all(
    entries.map(async ({ row, reason }) => ({
      decision_id: row.decisionId,
      reason,
      // JSON.stringify escapes NUL and lone surrogates, so this text is always storable.
      row_json: JSON.stringify(decisionLogRecord(row)),
      customer_sha256: await customerHash(row.customerId),
      erasure_cutoff: erasureCutoff(row.decidedAt, reading),
    })),
  );
  // One jsonb parameter, as for appends; rows of customers erased meanwhile are skipped.
  await db.execute(sql`insert into ${decisionLogDeadLetter} (decision_id, reason, row_json)
    select decision_id, reason, row_json
    from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(decision_id uuid, reason text,
      row_json text, customer_sha256 text, erasure_cutoff timestamptz)
    where ${sql.raw(notErasedSql("r.customer_sha256", "r.erasure_cutoff"))}`);
}

/**
 * Copies `from`'s decision log and parked rows into `to` (an older version's own decision database
 * joining the shared store: services/decision/src/store/legacy-decision-store.ts). Pages by id
 * through the append, so a row `to` has already, or one about a customer erased since, is skipped
 * and a second copy adds nothing. Returns the rows `to` gained.
 */
export async function copyDecisionLog(
  from: Database,
  to: Transaction,
): Promise<{ decisions: number; deadLetters: number }> {
  const counts = async () => [
    (await to.select({ n: count() }).from(decisionLog))[0]?.n ?? 0,
    (await to.select({ n: count() }).from(decisionLogDeadLetter))[0]?.n ?? 0,
  ];
  const before = await counts();
  // The rows were decided on this machine (an older version's service), by its clock.
  const clock = await databaseClockOf(to).reading(to);
  for (let after: string | null = null; ; ) {
    const rows: DecisionLogRow[] = await from
      .select()
      .from(decisionLog)
      .where(after === null ? undefined : sql`${decisionLog.decisionId} > ${after}`)
      .orderBy(decisionLog.decisionId)
      .limit(ROWS_PER_INSERT);
    if (rows.length === 0) break;
    await insertRows(to, rows, clock);
    after = rows[rows.length - 1]?.decisionId ?? null;
  }
  for (const row of await from.select().from(decisionLogDeadLetter)) {
    await to.execute(sql`insert into ${decisionLogDeadLetter} (decision_id, failed_at, reason, row_json)
      select ${row.decisionId}, ${row.failedAt}, ${row.reason}, ${row.rowJson}
      where not exists (select 1 from ${decisionLogDeadLetter}
        where decision_id = ${row.decisionId} and failed_at = ${row.failedAt})`);
  }
  const after = await counts();
  return {
    decisions: (after[0] ?? 0) - (before[0] ?? 0),
    deadLetters: (after[1] ?? 0) - (before[1] ?? 0),
  };
}
