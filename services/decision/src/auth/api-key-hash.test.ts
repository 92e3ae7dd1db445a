import { describe, expect, test } from "bun:test";
import { generateApiKey, hashApiKey } from "./api-key-hash.ts";
import { ApiKeyRing } from "./api-key-ring.ts";

describe("api key hashing", () => {
  test("sha-256 hex, as the standard test vector", async () => {
    expect(await hashApiKey("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  test("generated keys are unique, url-safe and 256-bit", () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
    for (const k of keys) expect(k).toMatch(/^ppk_[A-Za-z0-9_-]{43}$/);
  });

  test("a ring with only API_KEYS accepts exactly those keys and names them by their hash", async () => {
    const ring = new ApiKeyRing({ envKeys: ["one", "two"], envAdminKeys: ["boss"] });
    const tag = async (key: string) => (await hashApiKey(key)).slice(0, 8);
    expect(await ring.verify("one")).toEqual({
      name: `env:${await tag("one")}`,
      scopes: ["decide"],
    });
    expect(await ring.verify("two")).toEqual({
      name: `env:${await tag("two")}`,
      scopes: ["decide"],
    });
    expect(await ring.verify("boss")).toEqual({
      name: `env-admin:${await tag("boss")}`,
      scopes: ["decide", "admin"],
    });
    expect(await ring.verify("three")).toBeNull();
    expect(await new ApiKeyRing().verify("")).toBeNull(); // no keys configured: nothing passes
  });

  test("reordering API_KEYS keeps every key's name (Idempotency-Keys are scoped by it)", async () => {
    const before = new ApiKeyRing({ envKeys: ["one", "two", "three"] });
    const after = new ApiKeyRing({ envKeys: ["three", "one", "two"] });
    for (const key of ["one", "two", "three"]) {
      expect((await after.verify(key))?.name).toBe((await before.verify(key))?.name as string);
    }
    expect((await before.verify("one"))?.name).not.toBe((await before.verify("two"))?.name);
  });

  test("remembered hashes change no answer: 300 keys (more than the memo holds), asked twice", async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
    const ring = new ApiKeyRing({ envKeys: keys });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < keys.length; i++) {
        const tag = (await hashApiKey(keys[i] as string)).slice(0, 8);
        expect((await ring.verify(keys[i] as string))?.name).toBe(`env:${tag}`);
        expect(await ring.verify(`${keys[i]}x`)).toBeNull();
      }
    }
  });
});
