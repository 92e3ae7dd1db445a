// API keys in the `api_keys` table: create (returns the key once), list, revoke, and the
// hashes of the keys still valid.
import type { Database } from "@pp/shared/db/database.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { and, asc, eq, isNull } from "drizzle-orm";
import { generateApiKey, hashApiKey } from "./api-key-hash.ts";
import { API_KEY_SCOPES, type ApiKeyScope, normalScopes } from "./api-key-scopes.ts";

export interface StoredKey {
  id: number;
  name: string;
  keyHash: string;
  scopes: ApiKeyScope[];
}

export interface KeyListing {
  id: number;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  revokedAt: Date | null;
}

export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export class ApiKeyStore {
  constructor(private readonly db: Database) {}

  /** Creates a key named `name`; the plain key is in the result and nowhere else. */
  async create(
    name: string,
    scopes: readonly ApiKeyScope[] = ["decide"],
  ): Promise<{ id: number; name: string; scopes: ApiKeyScope[]; key: string }> {
    if (!KEY_NAME.test(name)) {
      throw new Error(
        `key name must be 1-128 letters, digits, '.', '_', '@' or '-' (got "${name}")`,
      );
    }
    const key = generateApiKey();
    const granted = normalScopes(scopes);
    if (granted.length === 0)
      throw new Error(`scopes must include one of ${API_KEY_SCOPES.join(", ")}`);
    const [row] = await this.db
      .insert(apiKeys)
      .values({ name, keyHash: await hashApiKey(key), scopes: granted })
      .returning({ id: apiKeys.id });
    return { id: (row as { id: number }).id, name, scopes: granted, key };
  }

  async list(): Promise<KeyListing[]> {
    const rows = await this.db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        scopes: apiKeys.scopes,
        createdAt: apiKeys.createdAt,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .orderBy(asc(apiKeys.id));
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

  async activeKeys(): Promise<StoredKey[]> {
    const rows = await this.db
      .select({
        id: apiKeys.id,
        name: apiKeys.name,
        keyHash: apiKeys.keyHash,
        scopes: apiKeys.scopes,
      })
      .from(apiKeys)
      .where(isNull(apiKeys.revokedAt));
    return rows.map((r) => ({ ...r, scopes: normalScopes(r.scopes) }));
  }
}
