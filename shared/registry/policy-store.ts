// Versioned decision policies. `add` stores a new version of a named policy; `activate` makes one
// version THE active policy of the platform (one active policy overall, enforced by a partial
// unique index), so the decision service always knows which single policy to run.

import { and, asc, desc, eq, max, sql } from "drizzle-orm";
import type { Database } from "../db/database.ts";
import { oneRow } from "../db/one-row.ts";
import { type PolicyRow, policies } from "../db/schema.ts";
import { RegistryInputError, RegistryNotFoundError } from "./registry-errors.ts";

const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Advisory lock id that serialises activations (any fixed number). */
const ACTIVATION_LOCK_ID = 7_310_113;

export class PolicyStore {
  constructor(private readonly db: Database) {}

  /** Stores `definition` as the next version of `name` (1, 2, …), inactive; returns the row. */
  async add(name: string, definition: unknown): Promise<PolicyRow> {
    if (typeof name !== "string" || !POLICY_NAME.test(name)) {
      throw new RegistryInputError("name", "must be 1-128 letters, digits, '.', '_' or '-'");
    }
    if (definition === undefined) throw new RegistryInputError("definition", "is required");
    return this.db.transaction(async (tx) => {
      // Versions of one name are numbered under a per-name lock, so concurrent adds don't collide.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`pp.policies:${name}`}))`);
      const { current } = oneRow(
        await tx
          .select({ current: max(policies.version) })
          .from(policies)
          .where(eq(policies.name, name)),
        "latest policy version",
      );
      return oneRow(
        await tx
          .insert(policies)
          .values({ name, version: (current ?? 0) + 1, definition })
          .returning(),
        "policy insert",
      );
    });
  }

  /** Makes `name` v`version` the one active policy (deactivating any other); returns it. */
  async activate(name: string, version: number): Promise<PolicyRow> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${ACTIVATION_LOCK_ID})`);
      const [target] = await tx
        .select()
        .from(policies)
        .where(and(eq(policies.name, name), eq(policies.version, version)));
      if (!target) throw new RegistryNotFoundError(`policy "${name}" has no version ${version}`);
      if (target.active) return target;
      await tx.update(policies).set({ active: false }).where(eq(policies.active, true));
      return oneRow(
        await tx
          .update(policies)
          .set({ active: true, activatedAt: new Date() })
          .where(eq(policies.id, target.id))
          .returning(),
        "policy activation",
      );
    });
  }

  /**
   * The active policy; when there is none, first stores each of `builtIns` that has no version
   * (as v1) and activates `name`'s first or latest version. One transaction under the activation
   * lock: two processes seeding a new store at once (the decision service's first decision, an
   * `ml campaign` command) each checked for versions and then added their own, storing every
   * built-in twice (`default` v1 and v2).
   */
  async seedActive(
    builtIns: Record<string, unknown>,
    name: string,
    which: "first" | "latest",
  ): Promise<PolicyRow> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${ACTIVATION_LOCK_ID})`);
      const store = new PolicyStore(tx);
      const active = await store.getActive();
      if (active) return active;
      for (const [builtIn, definition] of Object.entries(builtIns)) {
        if ((await store.list(builtIn)).length === 0) await store.add(builtIn, definition);
      }
      const versions = await store.list(name); // newest first
      const target = which === "latest" ? versions[0] : versions.at(-1);
      if (!target) throw new RegistryNotFoundError(`could not seed the ${name} policy`);
      return store.activate(name, target.version);
    });
  }

  /** The active policy, or null when none has been activated. */
  async getActive(): Promise<PolicyRow | null> {
    const [row] = await this.db.select().from(policies).where(eq(policies.active, true));
    return row ?? null;
  }

  /** One version of a policy, or null. */
  async get(name: string, version: number): Promise<PolicyRow | null> {
    const [row] = await this.db
      .select()
      .from(policies)
      .where(and(eq(policies.name, name), eq(policies.version, version)));
    return row ?? null;
  }

  /** All policies (or the versions of one), by name then newest version first. */
  list(name?: string): Promise<PolicyRow[]> {
    return this.db
      .select()
      .from(policies)
      .where(name === undefined ? undefined : eq(policies.name, name))
      .orderBy(asc(policies.name), desc(policies.version));
  }
}

/**
 * Copies `from`'s policy versions into `to` (an older version's own decision database joining the
 * shared store: services/decision/src/store/legacy-decision-store.ts). A (name, version) `to` has
 * already is kept as it is there; the old active policy stays active unless `to` has one (one
 * active policy at most). Returns the versions `to` gained.
 */
export async function copyPolicies(from: Database, to: Database): Promise<number> {
  const rows = await from.select().from(policies).orderBy(asc(policies.id));
  const [active] = await to
    .select({ id: policies.id })
    .from(policies)
    .where(eq(policies.active, true));
  let added = 0;
  for (const { id: _id, ...row } of rows) {
    const inserted = await to
      .insert(policies)
      .values({ ...row, active: row.active && !active })
      .onConflictDoNothing()
      .returning({ id: policies.id });
    added += inserted.length;
  }
  return added;
}
