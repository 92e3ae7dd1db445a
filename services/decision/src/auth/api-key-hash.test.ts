import { describe, expect, test } from "bun:test";
import { constantTimeEqual, generateApiKey, hashApiKey } from "./api-key-hash.ts";
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

  test("constantTimeEqual: equal only for identical strings of equal length", () => {
    expect(constantTimeEqual("abcd", "abcd")).toBe(true);
    expect(constantTimeEqual("abcd", "abce")).toBe(false);
    expect(constantTimeEqual("abcd", "abc")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual("", "a")).toBe(false);
  });

  test("a ring with only API_KEYS accepts exactly those keys and names them", async () => {
    const ring = new ApiKeyRing({ envKeys: ["one", "two"], envAdminKeys: ["boss"] });
    expect(await ring.verify("one")).toEqual({ name: "env:1", scopes: ["decide"] });
    expect(await ring.verify("two")).toEqual({ name: "env:2", scopes: ["decide"] });
    expect(await ring.verify("boss")).toEqual({ name: "env-admin:1", scopes: ["decide", "admin"] });
    expect(await ring.verify("three")).toBeNull();
    expect(await new ApiKeyRing().verify("")).toBeNull(); // no keys configured: nothing passes
  });

  test("remembered hashes change no answer: 300 keys (more than the memo holds), asked twice", async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
    const ring = new ApiKeyRing({ envKeys: keys });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < keys.length; i++) {
        expect((await ring.verify(keys[i] as string))?.name).toBe(`env:${i + 1}`);
        expect(await ring.verify(`${keys[i]}x`)).toBeNull();
      }
    }
  });
});
