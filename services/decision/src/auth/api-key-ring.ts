// The keys the service accepts: those from API_KEYS / ADMIN_API_KEYS (hashed at start, for local
// runs) and the unrevoked keys of the `api_keys` table with their scopes. The copy is checked
// every `checkMs` (API_KEY_CHECK_MS, 1 s) against a digest of the table (one short row), and the keys are read
// again only when it changed; where changes are pushed (PostgreSQL's LISTEN, changesPushed) only
// every `refreshMs` (30 s). While the database answers, the first request past a check waits for
// it (bounded, 0.5 s), so a key revoked by another process (`npm run keys -- revoke`) stops
// working within about a second even in an idle service; it took up to 30 s on the embedded
// store and Workers. While the database is away the last good copy keeps serving and is checked
// in the background. The first load, and a miss while the database answers (at most once a
// second, so a key made by `keys create` works at once), also wait for a read, bounded in time.

import { constantTimeEqual, envKeyName } from "@pp/shared/http/static-api-keys.ts";
import { SharedInFlight } from "@pp/shared/process/request-scope.ts";
import { atMost, within } from "@pp/shared/process/within.ts";
import type { DatabaseProvider } from "../store/lazy-database.ts";
import { readWithStatementTimeout } from "../store/statement-timeout.ts";
import { hashApiKey } from "./api-key-hash.ts";
import type { ApiKeyScope, VerifiedKey } from "./api-key-scopes.ts";
import { ApiKeyStore } from "./api-key-store.ts";

/** A read of the stored keys: the table's digest, and its keys (null: the digest was the copy's). */
interface StoredRead {
  digest: string;
  keys: KnownKey[] | null;
}

interface KnownKey extends VerifiedKey {
  /** The stored key's id (null: a key from the environment). */
  id: number | null;
  hash: string;
  /** Refused from this instant (ms since the epoch); null: never. */
  expiresAt: number | null;
}

/**
 * What a presented key is: a valid key, one past its expiry (a 401 that says so), unknown, or not
 * known to be either while the stored keys cannot be read (never read yet, or the last read
 * failed: the database is away; a 503, as a 401 would tell the owner of a valid key it is not).
 */
export type KeyVerdict =
  | { kind: "valid"; key: VerifiedKey }
  | { kind: "expired"; name: string; expiredAt: Date }
  | { kind: "unknown" }
  | { kind: "unavailable" };

export interface ApiKeyRingOptions {
  /** Plain keys from the environment: API_KEYS (decide only). */
  envKeys?: readonly string[];
  /** ADMIN_API_KEYS (admin and decide). */
  envAdminKeys?: readonly string[];
  database?: DatabaseProvider;
  /** How often the copy is checked where changes are not pushed (default 1 s). */
  checkMs?: number;
  /** How often it is checked while they are (changesPushed(true); default 30 s). */
  refreshMs?: number;
  /** Longest one read of the stored keys may take (then the copy keeps serving). */
  readTimeoutMs?: number;
  now?: () => number;
}

/** Hashes of recently presented VALID keys: a SHA-256 (Web Crypto, async) per request is a
 * noticeable share of a small decision. Only the hash is remembered; every request is still
 * matched against the current key list, so a revoked key stops working as before. */
const HASH_MEMO_SIZE = 256;

export class ApiKeyRing {
  private envHashes: Promise<KnownKey[]>;
  private readonly hashMemo = new Map<string, string>();
  private stored: KnownKey[] = [];
  /** The table's digest when `stored` was read (null: never read). */
  private digest: string | null = null;
  /** When the copy was last found current (a check or a read). */
  private loadedAt = Number.NEGATIVE_INFINITY;
  /** Changes to the table reach this process at once (a live LISTEN): checked every refreshMs. */
  private pushed = false;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private lastReadOk = false;
  /** A check or read of the stored keys (on Workers only the request that began it waits on it). */
  private readonly refreshing = new SharedInFlight<void>();
  /** The read in the database (the database cancels it at the same bound, statement-timeout.ts):
   * one at a time, also after its callers gave up on it (a read stuck on a lock is waited on
   * again, not joined by another); one older than two read bounds (a connect that hangs) is left. */
  private readonly reading: SharedInFlight<StoredRead>;
  /** How often the copy is checked: a key revoked elsewhere works here about this long at most. */
  readonly checkMs: number;
  private readonly refreshMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ApiKeyRingOptions = {}) {
    this.refreshMs = options.refreshMs ?? 30_000;
    this.checkMs = Math.min(options.checkMs ?? 1000, this.refreshMs);
    this.readTimeoutMs = options.readTimeoutMs ?? 5000;
    this.now = options.now ?? (() => Date.now());
    this.reading = new SharedInFlight({ staleMs: 2 * this.readTimeoutMs, now: this.now });
    const env = async (
      keys: readonly string[] | undefined,
      prefix: string,
      scopes: ApiKeyScope[],
    ) =>
      Promise.all(
        (keys ?? []).map(async (key) => {
          const hash = await hashApiKey(key);
          // Named by the key, not its place in the list: Idempotency-Keys are scoped by this name,
          // so reordering API_KEYS must not move them (by position, a retry after a reorder and
          // restart decided again).
          return { id: null, name: envKeyName(hash, prefix), scopes, hash, expiresAt: null };
        }),
      );
    this.envHashes = Promise.all([
      env(options.envKeys, "env:", ["decide"]),
      env(options.envAdminKeys, "env-admin:", ["decide", "admin"]),
    ]).then((lists) => lists.flat());
  }

  private refresh(): Promise<void> {
    const database = this.options.database;
    if (!database) return Promise.resolve();
    return this.refreshing.run(() => {
      this.attemptedAt = this.now();
      return this.readOnce(database);
    });
  }

  /** One check of the stored keys: the copy replaced when they changed (never fails). */
  private async readOnce(database: DatabaseProvider): Promise<void> {
    try {
      // A read still stuck in the database (a lock) is waited on again, not joined by another.
      const known = this.digest;
      const read = this.reading.run(() => this.readStored(database, known));
      const { digest, keys } = await within(read, this.readTimeoutMs, "reading the API keys");
      if (keys) {
        this.stored = keys;
        this.digest = digest;
      }
      // A joined read that compared with an older digest says nothing of this copy: due again.
      if (keys || digest === this.digest) this.loadedAt = this.now();
      this.lastReadOk = true;
    } catch {
      // Keep the last known keys; a later request tries again (at most once a second).
      this.lastReadOk = false;
    }
  }

  /**
   * The table's digest, and its unrevoked keys when the digest is not `known`; the database
   * giving up at the read's bound too. The digest is read first: keys committed between the two
   * are newer than it, so the next check reads them again rather than missing a change.
   */
  private async readStored(database: DatabaseProvider, known: string | null): Promise<StoredRead> {
    const db = await database();
    return readWithStatementTimeout(db, this.readTimeoutMs, async (tx) => {
      const store = new ApiKeyStore(tx);
      const digest = await store.activeKeysDigest();
      if (digest === known) return { digest, keys: null };
      const keys = (await store.activeKeys()).map((k) => ({
        id: k.id,
        name: k.name,
        scopes: k.scopes,
        hash: k.keyHash,
        expiresAt: k.expiresAt?.getTime() ?? null,
      }));
      return { digest, keys };
    });
  }

  /** Waits for a read of the stored keys, at most `ms`. */
  private async refreshWithin(ms: number): Promise<void> {
    await atMost(this.refresh(), ms);
  }

  /** The copy was last found current over a check's interval ago, and no read was tried in the
   * last second (or check interval, when shorter: else checks under 1 s would come once a second). */
  private refreshDue(): boolean {
    const every = this.pushed ? this.refreshMs : this.checkMs;
    const tried = this.now() - this.attemptedAt;
    return this.now() - this.loadedAt >= every && tried >= Math.min(1000, this.checkMs);
  }

  /**
   * Whether changes to the table now reach this process as they commit (a LISTEN, live: true) or
   * not (lost, or never had: false): the copy is checked every refreshMs or every checkMs.
   */
  changesPushed(live: boolean): void {
    this.pushed = live;
  }

  /**
   * Re-reads the stored keys now (after a create or revoke through the admin API): after the read
   * in flight, if any, which may have begun before the change (its copy kept a revoked key).
   */
  async reload(): Promise<void> {
    await this.refreshing.current();
    this.reading.forget(); // a read begun before the change is not waited on again
    return this.refreshWithin(5000);
  }

  private match(hash: string, keys: readonly KnownKey[]): KnownKey | null {
    // Compare against every key without stopping early.
    let found: KnownKey | null = null;
    for (const key of keys) if (constantTimeEqual(hash, key.hash)) found = key;
    return found;
  }

  /** The key's name and scopes, or null when it is not a valid key (unknown or expired). */
  async verify(presented: string): Promise<VerifiedKey | null> {
    const verdict = await this.check(presented);
    return verdict.kind === "valid" ? verdict.key : null;
  }

  /** What the presented key is. Expiry is checked against the clock now, not at the last read. */
  async check(presented: string): Promise<KeyVerdict> {
    const database = this.options.database;
    const sinceTry = this.now() - this.attemptedAt;
    if (
      database &&
      this.loadedAt === Number.NEGATIVE_INFINITY &&
      (sinceTry >= 1000 || this.refreshing.inFlight() !== undefined)
    ) {
      // Nothing loaded yet: worth a short wait, also for the first read when another request
      // began it (skipping it answered the requests that came during the first read 503).
      await this.refreshWithin(2000);
    } else if (this.refreshDue()) {
      // Stale. While the database answers, wait (bounded) for the read: answered from the copy,
      // the first request of an idle service let in a key revoked minutes before by another
      // process. While it is away (the last read failed), the copy answers at once.
      if (this.lastReadOk) await this.refreshWithin(500);
      else void this.refresh();
    }
    const hash = this.hashMemo.get(presented) ?? (await hashApiKey(presented));
    let key = this.match(hash, [...(await this.envHashes), ...this.stored]);
    if (key === null && database && this.lastReadOk && this.now() - this.attemptedAt >= 1000) {
      await this.refreshWithin(500);
      key = this.match(hash, [...(await this.envHashes), ...this.stored]);
    }
    if (key === null)
      return database && !this.lastReadOk ? { kind: "unavailable" } : { kind: "unknown" };
    if (key.expiresAt !== null && key.expiresAt <= this.now()) {
      return { kind: "expired", name: key.name, expiredAt: new Date(key.expiresAt) };
    }
    this.remember(presented, hash);
    return { kind: "valid", key: { name: key.name, scopes: key.scopes } };
  }

  /**
   * When each stored key name stops working: the latest expiry among its keys (a rotated name
   * has the new key's), for /metrics, by the id of the key that holds it (the name is not said:
   * /metrics is open, and a name often names a customer); names with a key that never expires
   * are left out. Starts a read of the table when the copy is stale (answers from the copy
   * meanwhile).
   */
  expiryByKeyId(): Map<number, number> {
    if (this.refreshDue()) void this.refresh();
    const latest = new Map<string, { id: number; at: number } | null>();
    for (const key of this.stored) {
      const seen = latest.get(key.name);
      if (seen === null || key.id === null) continue;
      if (key.expiresAt === null) latest.set(key.name, null);
      else if (!seen || key.expiresAt > seen.at)
        latest.set(key.name, { id: key.id, at: key.expiresAt });
    }
    const out = new Map<number, number>();
    for (const held of latest.values()) if (held) out.set(held.id, held.at);
    return out;
  }

  private remember(presented: string, hash: string): void {
    if (this.hashMemo.has(presented)) return;
    if (this.hashMemo.size >= HASH_MEMO_SIZE) {
      this.hashMemo.delete(this.hashMemo.keys().next().value as string);
    }
    this.hashMemo.set(presented, hash);
  }
}
