// kill -9 of `keys create NAME` mid-write, with real processes, while a decision service decides
// with the keys of its store: after each kill the name has no key (old) or one whole key (new:
// its hash, the decide scope, not revoked), never two nor a part; the service goes on answering
// 200 with the keys it had; run again, the command creates the key (exit 0; it decides) or, when
// the killed one had committed (its key shown to no one), exits 1 naming the key in use, and
// `keys rotate` of that key gives one that decides. On PostgreSQL the CLI is also killed while a
// trigger holds its INSERT and its COMMIT; on the embedded store (hosted by the service, the CLI
// its client) at moments spread over its run. Also: two creates of one name at once, one killed.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { eq } from "drizzle-orm";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import {
  type KillRound,
  killedCli,
  killRounds,
  shortestRunMs,
  spreadOver,
} from "../testing/cli-kill.ts";
import {
  answersWithin,
  DECISION_KEY,
  decisionReadyOnFreePort,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import { type KillSetup, pausablePostgres, storeClient } from "../testing/kill-stores.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");
const { cleanups, tempDir } = cleanupsAfterEach();

const forecast = forecastStubAroundTests();

/** Decisions with `key` until one answers 200 (10 s at most); never a 5xx meanwhile. */
const decides = (base: string, key: string) => answersWithin(base, key, 200);

/** "old" (no key of `name`) or "new" (one whole, live key), read from the table. */
async function held(db: DatabaseHandle, name: string): Promise<"old" | "new"> {
  const rows = await db.db.select().from(apiKeys).where(eq(apiKeys.name, name));
  if (rows.length === 0) return "old";
  expect(rows.length).toBe(1);
  expect(rows[0]?.keyHash).toMatch(/^[0-9a-f]{64}$/);
  expect(rows[0]?.scopes).toEqual(["decide"]);
  expect(rows[0]?.revokedAt).toBeNull();
  return "new";
}

/** `keys create NAME`, killed with SIGKILL once `killWhen` resolves (if still running). */
const killedCreate = (env: Record<string, string>, name: string, killWhen: Promise<unknown>) =>
  killedCli("keys", KEYS_CLI, env, ["create", name], killWhen);

const printedKey = (stdout: string) => stdout.trim().split("\n").at(-1) as string;

/** Run again: a key that decides, from the create, or from rotating the one a killed run left. */
async function rerun({ db, service, env }: KillSetup, name: string, was: "old" | "new") {
  const run = await runBun(KEYS_CLI, ["create", name], env, { timeoutMs: 60_000 });
  if (was === "old") {
    expect({ status: run.status, err: run.stderr }).toMatchObject({ status: 0 });
    await decides(service.base, printedKey(run.stdout));
    return;
  }
  const [row] = await db.db.select().from(apiKeys).where(eq(apiKeys.name, name));
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(`an API key named "${name}" is in use (key ${row?.id})`);
  const rotated = await runBun(KEYS_CLI, ["rotate", String(row?.id)], env, { timeoutMs: 60_000 });
  expect(rotated.status).toBe(0);
  await decides(service.base, printedKey(rotated.stdout));
}

/** Each round (names numbered from `first`): the CLI killed, checked, run again. */
function createRound(setup: KillSetup, first = 0): KillRound {
  const name = (i: number) => `create-kill-${first + i}`;
  return {
    run: (i, at) => killedCreate(setup.env, name(i), at()),
    async left(i) {
      const was = await held(setup.db, name(i));
      await decides(setup.service.base, DECISION_KEY);
      await rerun(setup, name(i), was);
      return was;
    },
  };
}

/** Two creates of one name at once, the second killed at `ms`: one key of that name. */
async function twoAtOnce(db: DatabaseHandle, env: Record<string, string>, ms: number) {
  const name = `create-twice-${Math.round(ms)}`;
  const [first, second] = await Promise.all([
    runBun(KEYS_CLI, ["create", name], env, { timeoutMs: 60_000 }),
    killedCreate(env, name, Bun.sleep(ms)),
  ]);
  expect([0, 1]).toContain(first.status as number);
  expect([0, 1, "killed"] as unknown[]).toContain(second);
  expect(await held(db, name)).toBe("new");
}

/** How long a whole `keys create` takes here now: the shorter of two (kills are spread over it). */
function wholeRunMs(env: Record<string, string>) {
  return shortestRunMs(
    2,
    async (i) => `whole-${i + 1}`,
    async (name) => {
      const run = await runBun(KEYS_CLI, ["create", name], env, { timeoutMs: 60_000 });
      expect(run.status).toBe(0);
    },
  );
}

test("PostgreSQL: create killed in its INSERT, its COMMIT and over its run: no key or one whole key", async () => {
  const { pg, env, pause } = await pausablePostgres(cleanups, {
    table: "api_keys",
    statement: "insert",
    commit: true,
  });
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  cleanups.push(() => killHard(service));
  const phases = ["insert", "commit", "insert", "commit"] as const;
  const setup = { db: pg.handle, service, env };
  const heldCounts = await killRounds(createRound(setup), phases.length, pause.plan(phases));
  // Killed in its INSERT: nothing committed (old). In its COMMIT: it was sent and lands (new).
  expect(heldCounts).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
  const ms = await wholeRunMs(env);
  const timed = await killRounds(
    createRound(setup, 10),
    5,
    spreadOver(ms, 0.5, 0.2, () => pause.settled()),
  );
  console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, heldCounts, "timed:", timed);
  await twoAtOnce(pg.handle, env, ms * 0.5);
  await twoAtOnce(pg.handle, env, ms * 0.9);
  expect(service.exited()).toBe(false);
}, 120_000);

test("embedded store hosted by the service: create killed over its run: no key or one whole key", async () => {
  const dataDir = tempDir("pp-create-kill-");
  const env = { DECISION_DATA_DIR: dataDir, DATABASE_URL: "" };
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  cleanups.push(() => killHard(service));
  // The test reads the keys as another client of the service's host.
  const db = await storeClient(cleanups, dataDir);
  const ms = await wholeRunMs(env);
  // Past 5 rounds only while no kill landed (a run faster than timed): at most 10 in all.
  const counts = await killRounds(
    createRound({ db, service, env }),
    5,
    spreadOver(ms, 0.5, 0.2),
    undefined,
    { kills: 1, rounds: 10 },
  );
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(db, env, ms * 0.6);
  expect(service.exited()).toBe(false);
}, 120_000);
