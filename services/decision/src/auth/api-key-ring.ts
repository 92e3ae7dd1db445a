// The keys the service accepts: those from API_KEYS (hashed at start, for local runs) and the
// unrevoked keys of the `api_keys` table, re-read every `refreshMs` (and on a miss at most once
// a second, so a key created with `keys create` works at once). Stale hashes keep working while
// the database is away.
import type { DatabaseProvider } from "../store/lazy-database.ts";
import { constantTimeEqual, hashApiKey } from "./api-key-hash.ts";
import type { ApiKeyScope, VerifiedKey } from "./api-key-scopes.ts";
import { ApiKeyStore } from "./api-key-store.ts";

interface KnownKey extends VerifiedKey {
  hash: string;
}

export interface ApiKeyRingOptions {
  /** Plain keys from the environment: API_KEYS (decide only). */
  envKeys?: readonly string[];
  /** ADMIN_API_KEYS (admin and decide). */
  envAdminKeys?: readonly string[];
  database?: DatabaseProvider;
  refreshMs?: number;
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
  private loadedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | null = null;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ApiKeyRingOptions = {}) {
    this.refreshMs = options.refreshMs ?? 30_000;
    this.now = options.now ?? (() => Date.now());
    const env = async (
      keys: readonly string[] | undefined,
      prefix: string,
      scopes: ApiKeyScope[],
    ) =>
      Promise.all(
        (keys ?? []).map(async (key, i) => ({
          name: `${prefix}${i + 1}`,
          scopes,
          hash: await hashApiKey(key),
        })),
      );
    this.envHashes = Promise.all([
      env(options.envKeys, "env:", ["decide"]),
      env(options.envAdminKeys, "env-admin:", ["decide", "admin"]),
    ]).then((lists) => lists.flat());
  }

  private refresh(): Promise<void> {
    const database = this.options.database;
    if (!database) return Promise.resolve();
    if (!this.refreshing) {
      this.refreshing = (async () => {
        try {
          const keys = await new ApiKeyStore(await database()).activeKeys();
          this.stored = keys.map((k) => ({ name: k.name, scopes: k.scopes, hash: k.keyHash }));
          this.loadedAt = this.now();
        } catch {
          // Keep the last known keys; the next call tries again.
          this.loadedAt = this.now() - this.refreshMs + 1000;
        } finally {
          this.refreshing = null;
        }
      })();
    }
    return this.refreshing;
  }

  private match(hash: string, keys: readonly KnownKey[]): VerifiedKey | null {
    // Compare against every key without stopping early.
    let found: VerifiedKey | null = null;
    for (const key of keys) {
      if (constantTimeEqual(hash, key.hash)) found = { name: key.name, scopes: key.scopes };
    }
    return found;
  }

  /** Forgets the stored keys' age so the next request re-reads them (after create/revoke). */
  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  /** The key's name and scopes, or null when it is not a valid key. */
  async verify(presented: string): Promise<VerifiedKey | null> {
    const age = this.now() - this.loadedAt;
    if (age >= this.refreshMs) await this.refresh();
    const hash = this.hashMemo.get(presented) ?? (await hashApiKey(presented));
    const known = [...(await this.envHashes), ...this.stored];
    let name = this.match(hash, known);
    if (name === null && this.options.database && this.now() - this.loadedAt >= 1000) {
      await this.refresh();
      name = this.match(hash, [...(await this.envHashes), ...this.stored]);
    }
    if (name !== null) this.remember(presented, hash);
    return name;
  }

  private remember(presented: string, hash: string): void {
    if (this.hashMemo.has(presented)) return;
    if (this.hashMemo.size >= HASH_MEMO_SIZE) {
      this.hashMemo.delete(this.hashMemo.keys().next().value as string);
    }
    this.hashMemo.set(presented, hash);
  }
}
