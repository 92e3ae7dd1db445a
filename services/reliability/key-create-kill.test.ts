// kill -9 of `keys create NAME` mid-write, with real processes, while a decision service decides
// with the keys of its store: after each kill the name has no key (old) or one whole key (new:
// its hash, the decide scope, not revoked), never two nor a part; the service goes on answering
// 200 with the keys it had; run again, the command creates the key (exit 0; it decides) or, when
// the killed one had committed (its key shown to no one), exits 1 naming the key in use, and
// `keys rotate` of that key gives one that decides. On PostgreSQL the CLI is also killed while a
// trigger holds its INSERT and its COMMIT; on the embedded store (hosted by the service, the CLI
// its client) at moments spread over its run. Also: two creates of one name at once, one killed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import {
  DECISION_KEY,
  decisionReadyOnFreePort,
  decisionStatus,
  killHard,
  startForecastStub,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");

let forecast: { url: string; stop(): void };
beforeAll(() => {
  forecast = startForecastStub();
});
afterAll(() => forecast?.stop());

/** Decisions with `key` until one answers 200 (10 s at most); never a 5xx meanwhile. */
async function decides(base: string, key: string): Promise<void> {
  let last = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(100)) {
    last = await decisionStatus(base, key);
    expect(last).toBeLessThan(500);
    if (last === 200) return;
  }
  expect(last).toBe(200);
}

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
async function killedCreate(
  env: Record<string, string>,
  name: string,
  killWhen: Promise<unknown>,
): Promise<"killed" | number | null> {
  const cli = startBun("keys", KEYS_CLI, env, { args: ["create", name] });
  const exit = exitCodeOf(cli);
  await Promise.race([killWhen, exit]);
  if (cli.exited()) return exit;
  cli.child.kill("SIGKILL");
  await exit;
  return "killed";
}

const printedKey = (stdout: string) => stdout.trim().split("\n").at(-1) as string;

/** Run again: a key that decides, from the create, or from rotating the one a killed run left. */
async function rerun(
  db: DatabaseHandle,
  base: string,
  env: Record<string, string>,
  name: string,
  was: "old" | "new",
) {
  const run = await runBun(KEYS_CLI, ["create", name], env, { timeoutMs: 60_000 });
  if (was === "old") {
    expect({ status: run.status, err: run.stderr }).toMatchObject({ status: 0 });
    await decides(base, printedKey(run.stdout));
    return;
  }
  const [row] = await db.db.select().from(apiKeys).where(eq(apiKeys.name, name));
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(`an API key named "${name}" is in use (key ${row?.id})`);
  const rotated = await runBun(KEYS_CLI, ["rotate", String(row?.id)], env, { timeoutMs: 60_000 });
  expect(rotated.status).toBe(0);
  await decides(base, printedKey(rotated.stdout));
}

/** Each round: the CLI killed at `moment(i)`, counted, checked, run again. */
async function killRounds(
  db: DatabaseHandle,
  service: ServiceProcess,
  env: Record<string, string>,
  rounds: number,
  moment: (i: number) => Promise<unknown>,
  settle: () => Promise<void>,
  first = 0,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0, old: 0, new: 0 };
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  for (let i = 0; i < rounds; i++) {
    const name = `create-kill-${first + i}`;
    const ended = await killedCreate(env, name, moment(i));
    if (ended === "killed") bump("kills");
    else {
      expect(ended).toBe(0);
      bump("finished");
    }
    await settle();
    const was = await held(db, name);
    bump(was);
    await decides(service.base, DECISION_KEY);
    await rerun(db, service.base, env, name, was);
  }
  return counts;
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
async function wholeRunMs(env: Record<string, string>) {
  const took: number[] = [];
  for (const name of ["whole-1", "whole-2"]) {
    const began = performance.now();
    const run = await runBun(KEYS_CLI, ["create", name], env, { timeoutMs: 60_000 });
    expect(run.status).toBe(0);
    took.push(performance.now() - began);
  }
  return Math.min(...took);
}

/** Triggers that hold an INSERT into api_keys, or its COMMIT, for the ms in the table. */
const PAUSE_SQL = `
create table test_create_pause (phase text primary key, ms integer not null);
create function test_create_pause() returns trigger language plpgsql as $$
begin
  perform pg_sleep(coalesce((select ms from test_create_pause where phase = tg_argv[0]), 0) / 1000.0);
  return new;
end $$;
create trigger test_pause_insert before insert on api_keys
  for each row execute function test_create_pause('insert');
create constraint trigger test_pause_commit after insert on api_keys
  deferrable initially deferred for each row execute function test_create_pause('commit');`;

/** On PostgreSQL: resolves once another backend is in `phase` (an INSERT into api_keys). */
async function atPhase(admin: postgres.Sql, phase: "insert" | "commit"): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(10)) {
    const rows = await admin<{ query: string }[]>`select query from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`;
    const hit = rows.some(({ query }) => {
      const q = query.trimStart().toLowerCase();
      return phase === "commit"
        ? q.startsWith("commit")
        : q.startsWith("insert ") && q.includes('"api_keys"');
    });
    if (hit) return;
  }
  throw new Error(`no CLI reached ${phase} within 30 s`);
}

/** On PostgreSQL: waits until no other backend of the database is running a statement. */
async function settled(admin: postgres.Sql): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(20)) {
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
      and state <> 'idle'`;
    if (row?.n === 0) return;
  }
  throw new Error("a killed CLI's backend is still in a transaction after 30 s");
}

test("PostgreSQL: create killed in its INSERT, its COMMIT and over its run: no key or one whole key", async () => {
  const pg = await openTestDatabase("postgres");
  const env = { DATABASE_URL: pg.options.databaseUrl as string };
  const admin = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  try {
    await admin.unsafe(PAUSE_SQL);
    const pause = async (phase: string | null) => {
      await admin`delete from test_create_pause`;
      if (phase) await admin`insert into test_create_pause values (${phase}, 1500)`;
    };
    const phases = ["insert", "commit", "insert", "commit"] as const;
    const heldCounts = await killRounds(
      pg.handle,
      service,
      env,
      phases.length,
      async (i) => {
        await pause(phases[i] ?? null);
        await atPhase(admin, phases[i] ?? "insert");
        await pause(null);
      },
      () => settled(admin),
    );
    // Killed in its INSERT: nothing committed (old). In its COMMIT: it was sent and lands (new).
    expect(heldCounts).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
    const ms = await wholeRunMs(env);
    const timed = await killRounds(
      pg.handle,
      service,
      env,
      5,
      (i) => Bun.sleep(ms * (0.5 + i * 0.2)),
      () => settled(admin),
      10,
    );
    console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, heldCounts, "timed:", timed);
    await twoAtOnce(pg.handle, env, ms * 0.5);
    await twoAtOnce(pg.handle, env, ms * 0.9);
    expect(service.exited()).toBe(false);
  } finally {
    await killHard(service);
    await admin.end();
    await pg.cleanup();
  }
}, 120_000);

test("embedded store hosted by the service: create killed over its run: no key or one whole key", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pp-create-kill-"));
  const env = { DECISION_DATA_DIR: dataDir, DATABASE_URL: "" };
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  // The test reads the keys as another client of the service's host.
  const db = await createDatabase({ dataDir });
  try {
    const ms = await wholeRunMs(env);
    const counts = await killRounds(
      db,
      service,
      env,
      5,
      (i) => Bun.sleep(ms * (0.5 + i * 0.2)),
      () => Bun.sleep(50),
    );
    console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
    expect(counts.kills).toBeGreaterThan(0);
    await twoAtOnce(db, env, ms * 0.6);
    expect(service.exited()).toBe(false);
  } finally {
    await db.close();
    await killHard(service);
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
