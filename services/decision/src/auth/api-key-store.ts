// API keys in the `api_keys` table: create (returns the key once), list, revoke, rotate, and the
// hashes of the keys not revoked (with their expiry, checked on every request).
import type { Database } from "@pp/shared/db/database.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { generateApiKey, hashApiKey } from "./api-key-hash.ts";
import { API_KEY_SCOPES, type ApiKeyScope, normalScopes } from "./api-key-scopes.ts";

export interface StoredKey {
  id: number;
  name: string;
  keyHash: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

export interface KeyListing {
  id: number;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  revokedAt: Date | null;
  expiresAt: Date | null;
  /** The key that replaced this one in a rotation; null: not rotated. */
  replacedBy: number | null;
}

export interface CreatedKey {
  id: number;
  name: string;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
  /** The plain key: shown once, stored nowhere. */
  key: string;
}

export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** Why `name` cannot name a key (null: it can); the value shown escaped and cut at 64 characters. */
export function keyNameProblem(name: string): string | null {
  if (KEY_NAME.test(name)) return null;
  return `key name must be 1-128 letters, digits, '.', '_', '@' or '-' (got ${shownKeyName(name)})`;
}

/**
 * A stored name as an operator's screen shows it: as is when it could be made today, else escaped
 * and cut at 64 characters (an older version's or a hand-made row may hold a newline, a tab, an
 * escape sequence or 10 kB; `keys list` printed them raw, one key over several lines).
 */
export function shownKeyName(name: string): string {
  if (KEY_NAME.test(name)) return name;
  return shownText(name);
}

/** Bounds of a key's lifetime and of a rotation's grace, for the admin API and the CLI alike. */
export const KEY_LIFETIME_DAYS_MAX = 3650;
export const ROTATION_GRACE_HOURS_MAX = 720;
export const ROTATION_GRACE_HOURS_DEFAULT = 24;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** When a key made now to live `days` expires; null (never) without `days`. */
export function expiryAfterDays(days: number | null | undefined, now = new Date()): Date | null {
  return days === null || days === undefined ? null : new Date(now.getTime() + days * DAY_MS);
}

/** A key's state at `now`: revoked wins over expired. */
export function keyState(k: KeyListing, now = new Date()): "active" | "expired" | "revoked" {
  if (k.revokedAt) return "revoked";
  return k.expiresAt && k.expiresAt.getTime() <= now.getTime() ? "expired" : "active";
}

const listed = {
  id: apiKeys.id,
  name: apiKeys.name,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  expiresAt: apiKeys.expiresAt,
  replacedBy: apiKeys.replacedBy,
};

/** Rotating a key already rotated: its successor exists (409 in the admin API, exit 1 in the CLI). */
function keyAlreadyRotated(id: number, replacedBy: number, graceOver: boolean): AppError {
  const revoke = graceOver ? "its grace is over" : `or revoke ${id} to end its grace now`;
  return new AppError(
    "conflict",
    `API key ${id} was already rotated: it was replaced by key ${replacedBy}; rotate that one (${revoke})`,
  );
}

/** Rotating a key already rotated whose successor was since revoked: a new key is the way on. */
function successorRevoked(
  id: number,
  replacedBy: number,
  name: string,
  graceOver: boolean,
): AppError {
  const first = graceOver ? "" : `revoke ${id} (its grace is still running), then `;
  return new AppError(
    "conflict",
    `API key ${id} was already rotated, but its successor, key ${replacedBy}, was revoked: ${first}create a new key named "${name}" (POST /admin/keys, keys create ${name})`,
  );
}

function keyNameInUse(name: string, id: number): AppError {
  return new AppError(
    "conflict",
    `an API key named "${name}" is in use (key ${id}): rotate it (POST /admin/keys/${id}/rotate, keys rotate ${id}), revoke it first, or choose another name`,
    { details: [{ path: "name", message: `key ${id} has this name` }] },
  );
}

export class ApiKeyStore {
  constructor(private readonly db: Database) {}

  /**
   * Creates a key named `name`; the plain key is in the result and nowhere else. A conflict when
   * a key of that name is in use: rate limits and Idempotency-Keys are scoped by name (so that a
   * rotation carries them over), and a second key of one name replayed the first's decisions to
   * its holder. One name at a time (an advisory lock): two creates at once cannot both pass.
   */
  async create(
    name: string,
    scopes: readonly ApiKeyScope[] = ["decide"],
    expiresAt: Date | null = null,
    now = new Date(),
  ): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`pp.api_keys:${name}`}))`);
      const named = await tx
        .select(listed)
        .from(apiKeys)
        .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
        .orderBy(asc(apiKeys.id));
      const inUse = named.find((k) => keyState({ ...k, scopes: [] }, now) === "active");
      if (inUse) throw keyNameInUse(name, inUse.id);
      return new ApiKeyStore(tx).insert(name, scopes, expiresAt);
    });
  }

  /** The row of a new key (create's checks aside; a rotation's successor shares its name). */
  private async insert(
    name: string,
    scopes: readonly ApiKeyScope[],
    expiresAt: Date | null,
  ): Promise<CreatedKey> {
    const problem = keyNameProblem(name);
    if (problem) throw new Error(problem);
    const key = generateApiKey();
    const granted = normalScopes(scopes);
    if (granted.length === 0)
      throw new Error(`scopes must include one of ${API_KEY_SCOPES.join(", ")}`);
    const [row] = await this.db
      .insert(apiKeys)
      .values({ name, keyHash: await hashApiKey(key), scopes: granted, expiresAt })
      .returning({ id: apiKeys.id });
    return { id: (row as { id: number }).id, name, scopes: granted, expiresAt, key };
  }

  async list(): Promise<KeyListing[]> {
    const rows = await this.db.select(listed).from(apiKeys).orderBy(asc(apiKeys.id));
    return rows.map((r) => ({ ...r, scopes: normalScopes(r.scopes) }));
  }

  /** Revokes key `id`; false when there is no such unrevoked key. */
  async revoke(id: number): Promise<boolean> {
    const rows = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return rows.length > 0;
  }

  /**
   * Replaces key `id` by a new one with its name and scopes (so rate limits and Idempotency-Keys,
   * scoped by name, carry over); the old key keeps working for `graceHours`, then expires
   * (sooner if it already expires sooner). The new key lives `lifetimeDays`, by default as long
   * as the old one was made to (created to expiry), or for ever. One transaction: the old key is
   * never cut short without a new one, and is marked replaced by it (`replaced_by`). Null when there is no such unrevoked, unexpired key; a
   * a conflict AppError when it was rotated before (also by a rotation at the same time in
   * another process, which waits for the row lock): one successor and one grace per key.
   */
  async rotate(
    id: number,
    {
      graceHours,
      lifetimeDays,
      now = new Date(),
    }: { graceHours: number; lifetimeDays?: number | undefined; now?: Date },
  ): Promise<{ created: CreatedKey; oldExpiresAt: Date } | null> {
    return this.db.transaction(async (tx) => {
      const [old] = await tx
        .select(listed)
        .from(apiKeys)
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .for("update");
      if (!old) return null;
      const active = keyState({ ...old, scopes: [] }, now) === "active";
      // Before the expiry check: a key rotated with no grace expired at once, and is still replaced.
      if (old.replacedBy !== null) {
        const [next] = await tx
          .select({ revokedAt: apiKeys.revokedAt })
          .from(apiKeys)
          .where(eq(apiKeys.id, old.replacedBy));
        if (next?.revokedAt) throw successorRevoked(id, old.replacedBy, old.name, !active);
        throw keyAlreadyRotated(id, old.replacedBy, !active);
      }
      if (!active) return null;
      const graceEnd = new Date(now.getTime() + graceHours * HOUR_MS);
      const oldExpiresAt = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
      const expiresAt =
        lifetimeDays !== undefined || !old.expiresAt
          ? expiryAfterDays(lifetimeDays, now)
          : new Date(now.getTime() + (old.expiresAt.getTime() - old.createdAt.getTime()));
      const created = await new ApiKeyStore(tx).insert(
        old.name,
        normalScopes(old.scopes),
        expiresAt,
      );
      await tx
        .update(apiKeys)
        .set({ expiresAt: oldExpiresAt, replacedBy: created.id })
        .where(eq(apiKeys.id, id));
      return { created, oldExpiresAt };
    });
  }

  /**
   * A digest of what {@link activeKeys} answers (one short row, not the keys): the key ring
   * compares it once a second and reads the keys again only when it changed. Any change a
   * revoke, create, rotation or hand-made UPDATE makes to an unrevoked key's row changes it.
   */
  async activeKeysDigest(): Promise<string> {
    const row = sql`concat_ws('|', ${apiKeys.id}, ${apiKeys.name}, ${apiKeys.keyHash},
      array_to_string(${apiKeys.scopes}, ','), ${apiKeys.expiresAt}::text)`;
    const [found] = await this.db
      .select({
        digest: sql<string>`encode(sha256(convert_to(coalesce(string_agg(${row}, ',' order by ${apiKeys.id}), ''), 'UTF8')), 'hex')`,
      })
      .from(apiKeys)
      .where(isNull(apiKeys.revokedAt));
    return found!.digest;
  }

  /** Keys not revoked, expired ones included: the ring tells "expired" from "invalid". */
  async activeKeys(): Promise<StoredKey[]> {
    const rows = await this.db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        keyHash: apiKeys.keyHash,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
      })
      .from(apiKeys)
      .where(isNull(apiKeys.revokedAt));
    return rows.map((r) => ({ ...r, scopes: normalScopes(r.scopes) }));
  }
}

/**
 * Copies `from`'s keys into `to` (an older version's own decision database joining the shared
 * store: ../store/legacy-decision-store.ts). A key is its hash: one `to` has already is left as it
 * is there. Ids are `to`'s own (so `replaced_by`, an id in `from`, is not copied). Returns the
 * keys `to` gained.
 */
export async function copyApiKeys(from: Database, to: Database): Promise<number> {
  const rows = (await from.select().from(apiKeys).orderBy(asc(apiKeys.id))).map(
    ({ id: _id, replacedBy: _replacedBy, ...row }) => row,
  );
  if (rows.length === 0) return 0;
  const inserted = await to
    .insert(apiKeys)
    .values(rows)
    .onConflictDoNothing()
    .returning({ id: apiKeys.id });
  return inserted.length;
}
