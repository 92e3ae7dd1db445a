// API keys of the decision service. A key is shown once when created; only its SHA-256 is stored
// (keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force).

import { and, eq, isNull } from "drizzle-orm";
import { sha256Hex } from "../artifacts/sha256.ts";
import type { Database } from "../db/database.ts";
import { type ApiKeyRow, apiKeys } from "../db/schema.ts";
import { RegistryInputError } from "./registry-errors.ts";

const KEY_PREFIX = "pp_";

export class ApiKeyStore {
  constructor(private readonly db: Database) {}

  /** Creates a key; returns the plaintext (shown once) and the stored row. */
  async create(name: string): Promise<{ key: string; row: ApiKeyRow }> {
    if (typeof name !== "string" || name.trim() === "" || name.length > 200) {
      throw new RegistryInputError("name", "must be 1-200 characters");
    }
    const random = crypto.getRandomValues(new Uint8Array(32));
    const key =
      KEY_PREFIX +
      btoa(String.fromCharCode(...random)).replace(/[+/=]/g, (c) =>
        c === "+" ? "-" : c === "/" ? "_" : "",
      );
    const [row] = await this.db
      .insert(apiKeys)
      .values({ name: name.trim(), keyHash: await hashKey(key) })
      .returning();
    return { key, row };
  }

  /** The live (not revoked) key row for a presented key, or null. */
  async verify(key: string): Promise<ApiKeyRow | null> {
    if (typeof key !== "string" || !key.startsWith(KEY_PREFIX) || key.length > 200) return null;
    const [row] = await this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, await hashKey(key)), isNull(apiKeys.revokedAt)));
    return row ?? null;
  }

  /** Revokes a key by id; returns whether a live key was revoked. */
  async revoke(id: number): Promise<boolean> {
    const revoked = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return revoked.length > 0;
  }

  list(): Promise<ApiKeyRow[]> {
    return this.db.select().from(apiKeys).orderBy(apiKeys.id);
  }
}

function hashKey(key: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(key));
}
