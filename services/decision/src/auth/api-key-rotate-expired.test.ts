// Rotating a key whose rotation had no grace (`grace_hours: 0`, so it expired at once) again: a
// conflict naming its successor, as with a grace still running, not a 404 "No active, unexpired
// API key" that hid that the key had been replaced (README: "a 409 naming the successor").
import { afterAll, beforeAll, expect, test } from "bun:test";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ApiKeyStore } from "./api-key-store.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
}, 120_000);
afterAll(async () => {
  await db?.cleanup();
});

async function rotateError(store: ApiKeyStore, id: number): Promise<unknown> {
  try {
    return await store.rotate(id, { graceHours: 1 });
  } catch (err) {
    return err;
  }
}

test("a key rotated with grace_hours 0, rotated again: a 409 naming its successor", async () => {
  const store = new ApiKeyStore(db.handle.db);
  const made = await store.create("no-grace");
  const first = await store.rotate(made.id, { graceHours: 0 });
  expect(first).not.toBeNull();
  const again = await rotateError(store, made.id);
  expect(again).toBeInstanceOf(AppError);
  expect((again as AppError).status).toBe(409);
  expect((again as AppError).message).toContain(
    `API key ${made.id} was already rotated: it was replaced by key ${first?.created.id}`,
  );
  // Its successor rotates; a key that merely expired (never rotated) is still "no such key".
  expect(await store.rotate(first?.created.id ?? 0, { graceHours: 0 })).not.toBeNull();
  const lapsed = await store.create("lapsed", ["decide"], new Date(Date.now() - 1000));
  expect(await store.rotate(lapsed.id, { graceHours: 1 })).toBeNull();
});

// Its successor since revoked: "rotate that one" pointed at a revoked key (rotate: 404). The 409
// says so, and to create a new key of the name (revoking the old first while its grace runs, as
// create refuses a name in use).
test("a rotated key whose successor was revoked, rotated again: a 409 saying to create a new key", async () => {
  const store = new ApiKeyStore(db.handle.db);
  const graced = await store.create("successor-revoked");
  const first = await store.rotate(graced.id, { graceHours: 1 });
  await store.revoke(first?.created.id ?? 0);
  const again = (await rotateError(store, graced.id)) as AppError;
  expect(again).toBeInstanceOf(AppError);
  expect(again.status).toBe(409);
  expect(again.message).not.toContain("rotate that one");
  expect(again.message).toContain(
    `API key ${graced.id} was already rotated, but its successor, key ${first?.created.id}, was revoked: revoke ${graced.id} (its grace is still running), then create a new key named "successor-revoked"`,
  );
  // Grace over (grace_hours 0): nothing to revoke first.
  const ended = await store.create("successor-revoked-ended");
  const next = await store.rotate(ended.id, { graceHours: 0 });
  await store.revoke(next?.created.id ?? 0);
  expect(((await rotateError(store, ended.id)) as AppError).message).toContain(
    `API key ${ended.id} was already rotated, but its successor, key ${next?.created.id}, was revoked: create a new key named "successor-revoked-ended" (POST /admin/keys, keys create successor-revoked-ended)`,
  );
  // The advice works: after the revoke, a new key of the name is created.
  await store.revoke(graced.id);
  expect((await store.create("successor-revoked")).name).toBe("successor-revoked");
});
