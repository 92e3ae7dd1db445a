// Keys whose names the CLI and the admin API refuse (NUL, a lone surrogate, 10 kB, quotes, commas,
// ':' and '|', the digest's own separators, a newline and a tab) but that a table can still hold
// (an older version's rows, a hand-made INSERT): revoked one by one with `npm run keys -- revoke`
// while a decision service serves them all, each stops working within about a second (the ring's
// digest check on the embedded store, the LISTEN on PostgreSQL) and the others keep working; `keys
// list` stays one tab-separated line per key. Real processes, embedded store and PostgreSQL.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { generateApiKey, hashApiKey } from "../decision/src/index.ts";
import {
  decisionReadyOnFreePort,
  decisionStatus,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");
const HOSTILE_NAMES = [
  "lone\ud800surrogate",
  "k".repeat(10_000),
  `quo"te's`,
  "com,ma",
  "co:lon",
  "1|pipe|decide,2|x", // what the digest joins fields and rows with
  "new\nline\tand tab",
];

const forecast = forecastStubAroundTests();

/** Ms until `key` is answered `want` (polled every 50 ms, 5 s at most; null: never). */
async function msUntil(base: string, key: string, want: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < 5000) {
    if ((await decisionStatus(base, key)) === want) return performance.now() - started;
    await Bun.sleep(50);
  }
  return null;
}

/** A key stored by hand under `name`, as the CLI would not: its id and plain key. */
async function storedByHand(db: DatabaseHandle["db"], name: string) {
  const key = generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({ name, keyHash: await hashApiKey(key), scopes: ["decide"] })
    .returning({ id: apiKeys.id });
  return { id: String(row?.id), name, key };
}

async function hostileNames(
  service: ServiceProcess,
  db: DatabaseHandle["db"],
  cli: Record<string, string>,
) {
  // The CLI refuses each name (exit 2); NUL cannot even be passed to it, nor stored.
  for (const name of HOSTILE_NAMES) {
    expect((await runBun(KEYS_CLI, ["create", name], cli)).status).toBe(2);
  }
  expect(() => runBun(KEYS_CLI, ["create", "nul\u0000name"], cli)).toThrow(/null bytes/);
  await expect(storedByHand(db, "nul\u0000name")).rejects.toThrow();

  const normal = await runBun(KEYS_CLI, ["create", "normal-key"], cli);
  expect(normal.status).toBe(0);
  const keys = [{ id: "", name: "normal-key", key: normal.stdout.trim() }];
  for (const name of HOSTILE_NAMES) keys.push(await storedByHand(db, name));
  for (const k of keys) expect(await msUntil(service.base, k.key, 200)).not.toBeNull();

  const listed = await runBun(KEYS_CLI, ["list"], cli);
  const lines = listed.stdout.trimEnd().split("\n");
  expect(lines).toHaveLength(1 + keys.length);
  for (const line of lines) expect(line.split("\t")).toHaveLength(6);

  const stoppedMs: number[] = [];
  for (const [i, k] of keys.entries()) {
    if (i === 0) continue;
    const revoked = await runBun(KEYS_CLI, ["revoke", k.id], cli);
    expect(revoked.status, revoked.stderr).toBe(0);
    const ms = await msUntil(service.base, k.key, 401);
    expect({ name: k.name.slice(0, 20), stopped: ms !== null }).toEqual({
      name: k.name.slice(0, 20),
      stopped: true,
    });
    stoppedMs.push(ms ?? 5000);
    for (const other of [keys[0], ...keys.slice(i + 1)]) {
      expect(await decisionStatus(service.base, other?.key as string)).toBe(200);
    }
  }
  console.log(
    `hostile key names: refused after ${stoppedMs.map((m) => m.toFixed(0)).join(", ")} ms`,
  );
  return stoppedMs;
}

describe("keys with hostile names, revoked with the CLI, stop within about a second", () => {
  test("embedded store (the digest check)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-hostile-keys-"));
    const env = { DECISION_DATA_DIR: dataDir, DATABASE_URL: "", FORECAST_URL: forecast.url };
    const { service } = await decisionReadyOnFreePort(env);
    const handle = await createDatabase({ dataDir });
    try {
      const ms = await hostileNames(service, handle.db, {
        DECISION_DATA_DIR: dataDir,
        DATABASE_URL: "",
      });
      expect(Math.max(...ms)).toBeLessThan(1500);
    } finally {
      await handle.close();
      await killHard(service);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  test("PostgreSQL (notified at commit)", async () => {
    const t = await openTestDatabase("postgres");
    const url = t.options.databaseUrl as string;
    const { service } = await decisionReadyOnFreePort({
      DATABASE_URL: url,
      FORECAST_URL: forecast.url,
    });
    try {
      const ms = await hostileNames(service, t.handle.db, { DATABASE_URL: url });
      expect(Math.max(...ms)).toBeLessThan(1500);
    } finally {
      await killHard(service);
      await t.cleanup();
    }
  }, 180_000);
});
