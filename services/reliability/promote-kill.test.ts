// kill -9 of `ml promote` and `ml rollback` mid-write, with real processes, while a forecast
// service serves the model's production version from the same store: after each kill the model has
// exactly one production version, the one before (old) or the one named (new), never none or two
// (the promotion archives the production version, then promotes the other, in one transaction);
// the service answers /model-info 200 and comes to serve that version; the command run again
// succeeds. On PostgreSQL the CLI is also killed while a trigger holds its UPDATE and its COMMIT;
// on the embedded store (hosted by the service, the CLI its client) at moments spread over its
// run. Also: two promotions of different versions at once, one killed.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { models, modelVersions } from "@pp/shared/db/schema.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { and, eq } from "drizzle-orm";
import postgres from "postgres";
import { caseServiceStarter, registerCaseDemo, waitOk } from "../testing/case-rule-demo.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const cleanups: Array<() => Promise<void> | void> = [];
const start = caseServiceStarter(cleanups);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The one production version of "purchase"; fails on none or more than one. */
async function production(db: DatabaseHandle): Promise<number> {
  const rows = await db.db
    .select({ version: modelVersions.version })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, "purchase"), eq(modelVersions.stage, "production")));
  const versions = rows.map((r) => r.version);
  expect(versions).toHaveLength(1);
  return versions[0] as number;
}

/** The forecast service answers /model-info 200 and serves `version` within 20 s. */
async function expectServes(base: string, version: number): Promise<void> {
  let last: unknown;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await Bun.sleep(100)) {
    const res = await fetch(`${base}/model-info`);
    expect(res.status).toBe(200);
    last = ((await res.json()) as { version?: number }).version;
    if (last === version) return;
  }
  expect(last).toBe(version);
}

/** `ml ARGS`, killed with SIGKILL once `killWhen` resolves (if still running). */
async function killedMl(
  env: Record<string, string>,
  args: string[],
  killWhen: Promise<unknown>,
): Promise<"killed" | number | null> {
  const cli = startBun("ml", ML, env, { args });
  const exit = exitCodeOf(cli);
  await Promise.race([killWhen, exit]);
  if (cli.exited()) return exit;
  cli.child.kill("SIGKILL");
  await exit;
  return "killed";
}

/** The command the round runs: promote the version that is not production, or roll back. */
function commandFor(i: number, current: number): { args: string[]; target: number } {
  const other = current === 1 ? 2 : 1;
  return i % 2 === 0
    ? { args: ["promote", "purchase", String(other)], target: other }
    : { args: ["rollback", "purchase"], target: other };
}

/** Kill rounds: each leaves old or new, the service serves it, a rerun finishes the command. */
async function killRounds(
  db: DatabaseHandle,
  base: string,
  env: Record<string, string>,
  rounds: number,
  moment: (i: number) => Promise<unknown>,
  settle: () => Promise<void>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0, old: 0, new: 0 };
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  for (let i = 0; i < rounds; i++) {
    const before = await production(db);
    const { args, target } = commandFor(i, before);
    const ended = await killedMl(env, args, moment(i));
    if (ended === "killed") bump("kills");
    else {
      expect(ended).toBe(0);
      bump("finished");
    }
    await settle();
    const now = await production(db);
    expect([before, target]).toContain(now);
    bump(now === before ? "old" : "new");
    await expectServes(base, now);
    if (now === before) {
      const rerun = await runBun(ML, args, env, { timeoutMs: 60_000 });
      expect({ status: rerun.status, err: rerun.stderr }).toEqual({ status: 0, err: "" });
      expect(await production(db)).toBe(target);
      await expectServes(base, target);
    }
  }
  return counts;
}

/** Two promotions at once (v1 and v2), the second killed at `ms`: one production version. */
async function twoAtOnce(
  db: DatabaseHandle,
  base: string,
  env: Record<string, string>,
  ms: number,
) {
  const [first, second] = await Promise.all([
    runBun(ML, ["promote", "purchase", "1"], env, { timeoutMs: 60_000 }),
    killedMl(env, ["promote", "purchase", "2"], Bun.sleep(ms)),
  ]);
  expect(first.status).toBe(0);
  expect([0, "killed"] as unknown[]).toContain(second);
  await expectServes(base, await production(db));
}

/** How long a whole `ml ARGS` takes here now (the kills are spread over it); it must succeed. */
async function wholeRunMs(env: Record<string, string>, args: string[]): Promise<number> {
  const began = performance.now();
  const run = await runBun(ML, args, env, { timeoutMs: 60_000 });
  expect(run.status).toBe(0);
  return performance.now() - began;
}

/** Triggers that hold an UPDATE of model_versions, or its COMMIT, for the ms in the table. */
const PAUSE_SQL = `
create table test_stage_pause (phase text primary key, ms integer not null);
create function test_stage_pause() returns trigger language plpgsql as $$
begin
  perform pg_sleep(coalesce((select ms from test_stage_pause where phase = tg_argv[0]), 0) / 1000.0);
  return new;
end $$;
create trigger test_pause_update before update on model_versions
  for each row execute function test_stage_pause('update');
create constraint trigger test_pause_commit after update on model_versions
  deferrable initially deferred for each row execute function test_stage_pause('commit');`;

/** On PostgreSQL: resolves once another backend is in `phase` (an UPDATE of model_versions). */
async function atPhase(admin: postgres.Sql, phase: "update" | "commit"): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(10)) {
    const rows = await admin<{ query: string }[]>`select query from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`;
    const hit = rows.some(({ query }) => {
      const q = query.trimStart().toLowerCase();
      return phase === "commit"
        ? q.startsWith("commit")
        : q.startsWith("update ") && q.includes('"model_versions"');
    });
    if (hit) return;
  }
  throw new Error(`no CLI reached ${phase} within 30 s`);
}

/** On PostgreSQL: waits until no other backend of the database is in a transaction. */
async function settled(admin: postgres.Sql): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(20)) {
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
      and state <> 'idle'`;
    if (row?.n === 0) return;
  }
  throw new Error("a killed CLI's backend is still in a transaction after 30 s");
}

/** The forecast service on the registry of `env`, polling it twice a second. */
async function forecastOn(env: Record<string, string>): Promise<string> {
  const forecast = await start("forecast", {
    ...env,
    MODEL_SOURCE: "registry",
    MODEL_POLL_INTERVAL_MS: "500",
  });
  await waitOk(`${forecast.base}/ready`, "forecast");
  return forecast.base;
}

test("PostgreSQL: promote and rollback killed in an UPDATE, the COMMIT, over its run: one production version", async () => {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const artifacts = tempDir("pp-promote-kill-");
  await registerCaseDemo(pg.handle.db, artifacts, false);
  await registerCaseDemo(pg.handle.db, artifacts, false);
  const env = { DATABASE_URL: pg.options.databaseUrl as string, ARTIFACT_STORE_URI: artifacts };
  const admin = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  cleanups.push(() => admin.end());
  await admin.unsafe(PAUSE_SQL);
  const base = await forecastOn(env);
  await expectServes(base, 2);
  const pause = async (phase: string | null) => {
    await admin`delete from test_stage_pause`;
    if (phase) await admin`insert into test_stage_pause values (${phase}, 1500)`;
  };
  const phases = ["update", "commit", "update", "commit"] as const;
  const held = await killRounds(
    pg.handle,
    base,
    env,
    phases.length,
    async (i) => {
      await pause(phases[i] ?? null);
      await atPhase(admin, phases[i] ?? "update");
      await pause(null);
    },
    () => settled(admin),
  );
  // Killed in an UPDATE: nothing committed (old). In the COMMIT: it was sent and lands (new).
  expect(held).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
  const pgMs = await wholeRunMs(env, ["promote", "purchase", "1"]);
  const timed = await killRounds(
    pg.handle,
    base,
    env,
    6,
    (i) => Bun.sleep(pgMs * (0.4 + i * 0.12)),
    () => settled(admin),
  );
  console.error(`postgres (a whole run ${pgMs.toFixed(0)} ms), held:`, held, "timed:", timed);
  await twoAtOnce(pg.handle, base, env, 500);
  await twoAtOnce(pg.handle, base, env, 900);
}, 120_000);

test("embedded store hosted by the forecast service: promote and rollback killed over its run", async () => {
  const dataDir = tempDir("pp-promote-kill-embedded-");
  const seed = await createDatabase({ dataDir });
  await seed.migrate();
  await registerCaseDemo(seed.db, join(dataDir, "artifacts"), false);
  await registerCaseDemo(seed.db, join(dataDir, "artifacts"), false);
  await seed.close();
  const env = { DATABASE_URL: "", DATA_DIR: dataDir };
  const base = await forecastOn(env);
  await expectServes(base, 2);
  // The test reads the store as another client of the service's host.
  const db = await createDatabase({ dataDir });
  cleanups.push(() => db.close());
  const ms = await wholeRunMs(env, ["promote", "purchase", "1"]);
  const counts = await killRounds(
    db,
    base,
    env,
    8,
    (i) => Bun.sleep(ms * (0.3 + i * 0.1)),
    () => Bun.sleep(50),
  );
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(db, base, env, 700);
}, 120_000);
