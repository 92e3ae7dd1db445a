// Key expiry and rotation, against a real decision process on PostgreSQL and the `keys` CLI: a key
// made to expire is refused with a 401 that says it expired (and when) from that instant, checked
// against the clock on each request rather than at the last read of the table; a rotation's new
// key works at once, keeps the old key's name (so an Idempotency-Key sent with the old key replays
// with the new one), and the old key works until its grace ends. Bad expiry and grace values
// are 400s naming the field; no key is created or changed by them.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  API_KEY,
  type ServiceProcesses,
  startServiceProcesses,
} from "../../../testing/service-processes.ts";
import { ApiKeyRing } from "./api-key-ring.ts";
import { ApiKeyStore } from "./api-key-store.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../cli/keys.ts");
const ADMIN = "api-key-expiry-admin-0123456789";
let db: TestDatabase;
let services: ServiceProcesses;
let knownId: string;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  services = await startServiceProcesses({
    decision: { ADMIN_API_KEYS: ADMIN, DATABASE_URL: db.options.databaseUrl as string },
  });
  knownId = services.knownIds[0] as string;
}, 180_000);

afterAll(async () => {
  await services?.stop();
  await db?.cleanup();
});

const admin = (path: string, body?: unknown) =>
  fetch(`${services.decision.base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === null || body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === null || body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/** A decision with `key`, optionally under an Idempotency-Key. */
async function decide(key: string, idempotencyKey?: string) {
  const res = await fetch(`${services.decision.base}/decision`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: JSON.stringify({
      customer: { id: knownId },
      horizon: { value: 4, unit: "week" },
      actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
    }),
  });
  return {
    status: res.status,
    replayed: res.headers.get("idempotent-replayed"),
    body: await res.text(),
  };
}

/**
 * A decision with a key another process just stored: the service re-reads its keys on a miss,
 * at most once a second, so the first try may come inside the second after its last read.
 */
async function decidedWithin(key: string, ms = 3000): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { status } = await decide(key);
    if (status !== 401 || Date.now() > deadline) return status;
    await Bun.sleep(100);
  }
}

const keyCount = async () => (await new ApiKeyStore(db.handle.db).list()).length;

describe("expiry and rotation through the admin API", () => {
  test("a key made with expires_in_days says when it expires, and works until then", async () => {
    const before = Date.now();
    const res = await admin("/admin/keys", { name: "thirty-days", expires_in_days: 30 });
    expect(res.status).toBe(201);
    const made = (await res.json()) as { id: number; key: string; expires_at: string };
    const expires = Date.parse(made.expires_at) - before;
    expect(expires).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(expires).toBeLessThan(30 * 86_400_000 + 60_000);
    expect((await decide(made.key)).status).toBe(200);
    const listed = (await (await admin("/admin/keys")).json()) as {
      keys: Array<{ id: number; state: string; expires_at: string | null }>;
    };
    expect(listed.keys.find((k) => k.id === made.id)).toMatchObject({
      state: "active",
      expires_at: made.expires_at,
    });
    // Rotated, the new key is made to live as long (30 days) unless told otherwise.
    const inherit = (await (await admin(`/admin/keys/${made.id}/rotate`, null)).json()) as {
      id: number;
      expires_at: string;
    };
    expect(Math.abs(Date.parse(inherit.expires_at) - Date.now() - 30 * 86_400_000)).toBeLessThan(
      60_000,
    );
    // A key is rotated once: again, it is a 409 (a second successor, a second grace), and its
    // successor is rotated instead.
    const twice = await admin(`/admin/keys/${made.id}/rotate`, { grace_hours: 1 });
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain(
      `API key ${made.id} was already rotated: it was replaced by key ${inherit.id}`,
    );
    const told = await admin(`/admin/keys/${inherit.id}/rotate`, {
      expires_in_days: 90,
      grace_hours: 1,
    });
    expect(told.status).toBe(201);
    const ninety = (await told.json()) as { expires_at: string; replaced: { expires_at: string } };
    expect(Math.abs(Date.parse(ninety.expires_at) - Date.now() - 90 * 86_400_000)).toBeLessThan(
      60_000,
    );
    // The replaced key's expiry only ever moves closer: 30 days, then 1 h.
    expect(Math.abs(Date.parse(ninety.replaced.expires_at) - Date.now() - 3_600_000)).toBeLessThan(
      60_000,
    );
  });

  test("rotation: the new key works at once, the old one until its grace ends, then a 401 saying so", async () => {
    const old = (await (await admin("/admin/keys", { name: "rotated" })).json()) as {
      id: number;
      key: string;
    };
    const first = await decide(old.key, "rotation-retry");
    expect(first.status).toBe(200);

    const res = await admin(`/admin/keys/${old.id}/rotate`, null); // no body: grace 24 h
    expect(res.status).toBe(201);
    const rotated = (await res.json()) as {
      id: number;
      name: string;
      key: string;
      replaced: { id: number; expires_at: string };
    };
    expect(rotated.name).toBe("rotated");
    expect(rotated.replaced.id).toBe(old.id);
    expect(Date.parse(rotated.replaced.expires_at) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    // The retry of a decision made with the old key, sent with the new one, replays it.
    const retry = await decide(rotated.key, "rotation-retry");
    expect(retry).toEqual({ ...first, replayed: "true" });
    expect((await decide(old.key)).status).toBe(200);

    // Rotated again with no grace: that key stops at once, with a 401 naming the expiry.
    const again = await admin(`/admin/keys/${rotated.id}/rotate`, { grace_hours: 0 });
    expect(again.status).toBe(201);
    const newest = (await again.json()) as { id: number; key: string; expires_at: string | null };
    expect(newest.expires_at).toBeNull(); // as the key it replaced: made without an expiry
    const refused = await decide(rotated.key);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatch(/API key expired at \d{4}-\d{2}-\d{2}T/);
    expect(refused.body).not.toContain(rotated.key);
    expect((await decide(newest.key)).status).toBe(200);
    // Rotated again after its grace (none here): a 409 naming its successor, not a 404.
    const third = await admin(`/admin/keys/${rotated.id}/rotate`, null);
    expect(third.status).toBe(409);
    expect(await third.text()).toContain(
      `was already rotated: it was replaced by key ${newest.id}`,
    );
    // An unknown key cannot be rotated.
    expect((await admin("/admin/keys/999999/rotate", null)).status).toBe(404);
  });

  test("bad expiry and grace values are 400s naming the field, and change nothing", async () => {
    const count = await keyCount();
    for (const bad of [0, -1, 1.5, 3651, 1e308, "7", null]) {
      const res = await admin("/admin/keys", { name: "bad-expiry", expires_in_days: bad });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("expires_in_days");
    }
    const target = (await (await admin("/admin/keys", { name: "grace-target" })).json()) as {
      id: number;
    };
    for (const bad of [-1, 721, 1e308, "1", null]) {
      const res = await admin(`/admin/keys/${target.id}/rotate`, { grace_hours: bad });
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain("grace_hours");
    }
    const unknownField = await admin(`/admin/keys/${target.id}/rotate`, { grace: 1 });
    expect(unknownField.status).toBe(400);
    expect(await keyCount()).toBe(count + 1);
  });
});

test("the keys CLI creates expiring keys and rotates them while the service runs", async () => {
  const env = { DATABASE_URL: db.options.databaseUrl as string, API_KEYS: API_KEY };
  const made = await runBun(KEYS_CLI, ["create", "cli-key", "--expires-in-days", "7"], env);
  expect(made.status, made.stderr).toBe(0);
  expect(made.stderr).toMatch(/expires \d{4}-\d{2}-\d{2}T/);
  const key = made.stdout.trim();
  expect(await decidedWithin(key)).toBe(200);
  const id = /key #(\d+)/.exec(made.stderr)?.[1] as string;

  const rotated = await runBun(KEYS_CLI, ["rotate", id, "--grace-hours", "1"], env);
  expect(rotated.status, rotated.stderr).toBe(0);
  expect(rotated.stderr).toMatch(new RegExp(`key #${id} works until \\d{4}-`));
  const newKey = rotated.stdout.trim();
  expect(newKey).not.toBe(key);
  // The service re-reads the table on a miss: the new key works, the old one too (grace).
  expect(await decidedWithin(newKey)).toBe(200);
  expect((await decide(key)).status).toBe(200);

  const listed = await runBun(KEYS_CLI, ["list"], env);
  const lines = listed.stdout.split("\n").filter((l) => l.includes("\tcli-key\t"));
  expect(lines.length).toBe(2);
  expect(lines[0]).toMatch(new RegExp(`^${id}\\tcli-key\\tdecide\\t\\S+\\tactive\\texpires `));
  // The new key is made to live as long as the old one was (7 days).
  const newExpiry = Date.parse(/expires (\S+)$/.exec(lines[1] as string)?.[1] as string);
  expect(Math.abs(newExpiry - Date.now() - 7 * 86_400_000)).toBeLessThan(60_000);
  for (const bad of [
    ["create", "x", "--expires-in-days", "0"],
    ["rotate", id, "--grace-hours", "-1"],
    ["create", "x", "--expire", "3"],
  ]) {
    const run = await runBun(KEYS_CLI, bad, env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("usage: keys");
  }
});

test("/metrics says when each key name stops working: its latest key's expiry, none if one never expires", async () => {
  const text = await (await fetch(`${services.decision.base}/metrics`)).text();
  const keys = await new ApiKeyStore(db.handle.db).list();
  // By the id of the name's newest key (the one holding its latest expiry), never by the name.
  const expiry = (name: string) => {
    const id = Math.max(...keys.filter((k) => k.name === name && !k.revokedAt).map((k) => k.id));
    expect(text).not.toContain(`"${name}"`);
    const line = text
      .split("\n")
      .find((l) => l.startsWith(`api_key_expiry_timestamp_seconds{key_id="${id}"}`));
    return line === undefined ? undefined : Number(line.split(" ")[1]) * 1000 - Date.now();
  };
  // Rotated twice, the last time to 90 days: the name lasts 90 days though its old keys end sooner.
  expect(Math.abs((expiry("thirty-days") as number) - 90 * 86_400_000)).toBeLessThan(60_000);
  expect(Math.abs((expiry("cli-key") as number) - 7 * 86_400_000)).toBeLessThan(60_000);
  // Its newest key never expires: not listed (the expired old one does not matter).
  expect(expiry("rotated")).toBeUndefined();
  expect(expiry("grace-target")).toBeUndefined();
});

test("expiry is checked against the clock on each request, not when the keys were read", async () => {
  let now = Date.now();
  const store = new ApiKeyStore(db.handle.db);
  const made = await store.create("clock", ["decide"], new Date(now + 3_600_000));
  const ring = new ApiKeyRing({ database: async () => db.handle.db, now: () => now });
  expect((await ring.check(made.key)).kind).toBe("valid");
  now += 3_600_000; // an hour later, with no read of the table since
  const verdict = await ring.check(made.key);
  expect(verdict).toEqual({
    kind: "expired",
    name: "clock",
    expiredAt: made.expiresAt as Date,
  });
  expect(await ring.verify(made.key)).toBeNull();
});
