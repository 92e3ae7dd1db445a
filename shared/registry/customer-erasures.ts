// The `customer_erasures` table (its one owner): which customers were erased in the last day (by
// `ml forget`, or their decisions alone by the admin route), as sha256 of the id, so that a
// decision about one of them that was still being made when the erasure committed is not written
// after it, and a registration leaves out those `ml forget` erased. The decision log's writers
// add `notErasedSql` to their inserts; the erasure (decision-log.ts eraseCustomerDecisions) locks
// out those writers first, so an insert either finished before it (and its rows are deleted) or
// runs after it and sees the marker. Only the hash is kept, and only for a day: long enough for
// any decision in flight.

import { and, eq, getTableName, gte, sql } from "drizzle-orm";
import { sha256Hex } from "../artifacts/sha256.ts";
import type { Database, Transaction } from "../db/database.ts";
import { customerErasures } from "../db/schema.ts";
import type { ClockReading } from "./database-clock.ts";

/**
 * A decision placed on the database's clock up to this long after an erasure is not written
 * either: the time from the erasure's marker to its commit, and a step of either clock.
 */
export const ERASURE_SLACK_MS = 1000;
/**
 * A row with no decision time is taken as decided at the insert (the database's now()), and
 * skipped when an erasure came less than this before.
 */
export const ERASURE_UNTIMED_MARGIN_SECONDS = 10;
/** How long a marker is kept. */
export const ERASURE_MARKER_HOURS = 24;

/** The quoted table name, for the raw SQL the decision log's inserts embed. */
const erasures = `"${getTableName(customerErasures)}"`;

/** The hash a marker holds, in SQL, of a text expression (must equal customerHash). */
export const customerHashSql = (idExpr: string) =>
  `encode(sha256(convert_to(${idExpr}, 'UTF8')), 'hex')`;

/** The same hash in JavaScript (ids the database cannot store, such as parked rows', too). */
export function customerHash(customerId: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(customerId));
}

/**
 * The erasure cutoff of a decision made at `decidedAt` by this process's clock: an erasure marked
 * after it (on the database's clock) may have come after the decision was made, so the row is
 * skipped. The decision's time on the database's clock, less the reading's uncertainty and the
 * slack. Without a decision time: null (the insert's now() applies, see notErasedSql).
 */
export function erasureCutoff(
  decidedAt: Date | null | undefined,
  clock: ClockReading,
): string | null {
  if (!decidedAt) return null;
  const ms = decidedAt.getTime() + clock.offsetMs - clock.uncertaintyMs - ERASURE_SLACK_MS;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * A WHERE condition: true unless the customer was erased after `cutoffExpr` (erasureCutoff's, on
 * the database's clock; null: ERASURE_UNTIMED_MARGIN_SECONDS before the insert).
 */
export function notErasedSql(hashExpr: string, cutoffExpr: string): string {
  // The first test runs once per statement: with no marker (the usual case) no row is hashed.
  return `(not exists (select 1 from ${erasures})
      or not exists (select 1 from ${erasures} e where e.customer_sha256 = ${hashExpr}
        and e.erased_at > coalesce(${cutoffExpr},
          now() - interval '${ERASURE_UNTIMED_MARGIN_SECONDS} seconds')))`;
}

/**
 * A WHERE condition: the customer has no `ml forget` marker (was not forgotten in the last day). A
 * registration leaves such customers out: its log was read before the erasure, or still holds
 * them. Before, `ml forget` during a training's registration erased the customer from the versions
 * there were, and the new production version held them again. An erasure of decisions alone does
 * not count: it had left the customer out of every version registered within the day.
 */
export function notRecentlyErasedSql(hashExpr: string): string {
  return `(not exists (select 1 from ${erasures})
      or not exists (select 1 from ${erasures} e where e.customer_sha256 = ${hashExpr}
        and e.forgotten))`;
}

/**
 * Takes turns with erasures for a registration's stored customers: the registration waits for an
 * erasure under way (and then sees its markers), an erasure for a registration under way (and
 * then erases under its version too). Share mode: registrations do not wait for each other.
 */
export async function turnBesideErasures(tx: Database | Transaction): Promise<void> {
  await tx.execute(sql.raw(`lock table ${erasures} in share mode`));
}

/** The erasure's side of turnBesideErasures, taken before it reads which versions exist. */
export async function erasureTurn(tx: Transaction): Promise<void> {
  await tx.execute(sql.raw(`lock table ${erasures} in share row exclusive mode`));
}

/**
 * Marks these customers erased now (`forgotten`: by `ml forget`, see notRecentlyErasedSql), and
 * drops markers older than a day. A marker once forgotten stays so until it expires.
 */
export async function recordErasures(
  tx: Transaction,
  customerIds: readonly string[],
  { forgotten }: { forgotten: boolean },
): Promise<void> {
  // One jsonb parameter for the whole list (a parameter per id would cap a bulk request). The
  // time is the clock's, near the commit, not the transaction's start (now()).
  const ids = JSON.stringify(customerIds);
  await tx.execute(sql`insert into ${customerErasures} (customer_sha256, erased_at, forgotten)
    select ${sql.raw(customerHashSql("t.id"))}, clock_timestamp(), ${forgotten} from jsonb_array_elements_text(${ids}::jsonb) as t(id)
    on conflict (customer_sha256) do update set erased_at = excluded.erased_at,
      forgotten = ${customerErasures}.forgotten or excluded.forgotten`);
  await dropExpiredErasures(tx);
}

/**
 * The markers of these hashes set within the markers' day (only `ml forget`'s when
 * `forgottenOnly`). One jsonb parameter for the list, as recordErasures: a forget's chunk of
 * 10,000 customers in three spellings each would near the protocol's 65,535 parameters.
 */
async function markersWithinDay(
  tx: Database | Transaction,
  hashes: readonly string[],
  forgottenOnly: boolean,
): Promise<Array<{ hash: string; at: Date }>> {
  if (hashes.length === 0) return [];
  return tx
    .select({ hash: customerErasures.customerSha256, at: customerErasures.erasedAt })
    .from(customerErasures)
    .where(
      and(
        sql`${customerErasures.customerSha256} in (select jsonb_array_elements_text(${JSON.stringify(hashes)}::jsonb))`,
        forgottenOnly ? eq(customerErasures.forgotten, true) : undefined,
        gte(customerErasures.erasedAt, sql`now() - ${`${ERASURE_MARKER_HOURS} hours`}::interval`),
      ),
    );
}

const latestOf = (rows: ReadonlyArray<{ at: Date }>): Date | null =>
  rows.reduce<Date | null>((last, r) => (!last || r.at > last ? r.at : last), null);

/**
 * When the latest marker of these customers (ids as given) was set, within the marker's day; null:
 * none. Read by an erasure before it sets its own: a retry of an erasure that committed though its
 * answer was lost finds nothing left to erase, and this tells it the work was done, and when.
 */
export async function lastErasureOf(
  tx: Database | Transaction,
  customerIds: readonly string[],
): Promise<Date | null> {
  const hashes = await Promise.all(customerIds.map(customerHash));
  return latestOf(await markersWithinDay(tx, hashes, false));
}

/**
 * Which of these customers (each given with its spellings) `ml forget` already forgot within the
 * markers' day, and when the latest of them was: read before a forget sets its own markers, so a
 * rerun after a run whose output was lost (killed, connection cut after COMMIT) says the work was
 * done rather than "nothing was stored about these ids".
 */
export async function forgottenAlready(
  tx: Database | Transaction,
  spellingsByCustomer: ReadonlyArray<readonly string[]>,
): Promise<{ customers: number; lastAt: Date | null }> {
  const hashed = await Promise.all(
    spellingsByCustomer.map((spellings) => Promise.all(spellings.map(customerHash))),
  );
  const rows = await markersWithinDay(tx, [...new Set(hashed.flat())], true);
  const marked = new Set(rows.map((r) => r.hash));
  const customers = hashed.filter((hs) => hs.some((h) => marked.has(h))).length;
  return { customers, lastAt: latestOf(rows) };
}

/** Deletes markers older than a day (by each erasure, and by the decision log's retention). */
export async function dropExpiredErasures(db: Database | Transaction): Promise<void> {
  await db
    .delete(customerErasures)
    .where(
      sql`${customerErasures.erasedAt} < now() - ${`${ERASURE_MARKER_HOURS} hours`}::interval`,
    );
}
