// The `publish_leases` table (its one owner): one publisher to the forecast Workers at a time per
// model. Two publishing the same version at once could each write the same R2 slot; a publisher
// holds the model's lease while it works (renewed every third of its term) and releases it at the
// end. One killed with SIGKILL holds it until the term runs out, then anyone may take it over.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { publishLeases } from "../db/schema.ts";

/** The default term of a lease, in seconds (PP_PUBLISH_LEASE_SECONDS overrides it). */
export const PUBLISH_LEASE_SECONDS = 30;

/** This process's name as a lease holder: the same for every lease it takes. */
export const LEASE_HOLDER = `pid ${process.pid} (${crypto.randomUUID().slice(0, 8)})`;

/** Leases this process holds now, with how deeply withPublishLease calls are nested in them. */
const heldHere = new Map<string, number>();

/**
 * Takes or renews the lease on `model` for `seconds` when it is free, expired or already ours.
 * Resolves to null when taken, else to the holder who has it.
 */
export async function tryLease(
  db: Database,
  model: string,
  seconds: number,
  holder: string = LEASE_HOLDER,
): Promise<string | null> {
  const expires = sql`now() + ${`${seconds} seconds`}::interval`;
  // A lease released between the insert and the select is free: try again rather than answer
  // "another publisher" for a lease nobody holds (seen in CI, right after a publisher finished).
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = await db
      .insert(publishLeases)
      .values({ modelName: model, holder, expiresAt: expires })
      .onConflictDoUpdate({
        target: publishLeases.modelName,
        set: { holder, expiresAt: expires },
        setWhere: sql`${publishLeases.expiresAt} < now() or ${publishLeases.holder} = ${holder}`,
      })
      .returning({ holder: publishLeases.holder });
    if (taken.length > 0) return null;
    const [current] = await db
      .select({ holder: publishLeases.holder })
      .from(publishLeases)
      .where(eq(publishLeases.modelName, model));
    if (current) return current.holder;
  }
  return "another publisher";
}

/** Gives the lease back (only if still ours). */
export async function releaseLease(
  db: Database,
  model: string,
  holder: string = LEASE_HOLDER,
): Promise<void> {
  await db
    .delete(publishLeases)
    .where(and(eq(publishLeases.modelName, model), eq(publishLeases.holder, holder)));
}

/**
 * Runs `work` holding the lease on `model`: waits for it (asking every 250 ms, telling `onWait`
 * who holds it, once) up to `waitMs`, renews it every third of its term while `work` runs, and
 * releases it after. Throws when the wait runs out.
 */
export async function withPublishLease<T>(
  db: Database,
  model: string,
  work: () => Promise<T>,
  options: { seconds?: number; waitMs?: number; onWait?: (holder: string) => void } = {},
): Promise<T> {
  const { seconds = PUBLISH_LEASE_SECONDS, waitMs = 10 * 60_000, onWait } = options;
  // Already held by this process (an erasure republishing inside its own lease): just run.
  const depth = heldHere.get(model) ?? 0;
  if (depth > 0) {
    heldHere.set(model, depth + 1);
    try {
      return await work();
    } finally {
      heldHere.set(model, depth);
    }
  }
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const holder = await tryLease(db, model, seconds);
    if (holder === null) break;
    if (!told) onWait?.(holder);
    told = true;
    if (Date.now() >= deadline) {
      throw new Error(`${model}: ${holder} is publishing it; gave up after ${waitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const renew = setInterval(
    () => void tryLease(db, model, seconds).catch(() => {}),
    (seconds * 1000) / 3,
  );
  heldHere.set(model, 1);
  try {
    return await work();
  } finally {
    heldHere.delete(model);
    clearInterval(renew);
    await releaseLease(db, model).catch(() => {});
  }
}
