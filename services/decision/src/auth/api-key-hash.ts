// API keys: generated at random, stored only as their SHA-256 (Web Crypto), and compared in
// constant time (shared/http/static-api-keys.ts) so response timing says nothing about how much
// of a key matched.

import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";

const KEY_PREFIX = "ppk_";

/** Hex SHA-256 of the key (keys are 256-bit random, so a plain hash is enough). */
export function hashApiKey(key: string): Promise<string> {
  return sha256Hex(new TextEncoder().encode(key));
}

/** A new key: prefix + 32 random bytes, base64url. Shown once, never stored. */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
  return `${KEY_PREFIX}${b64}`;
}
