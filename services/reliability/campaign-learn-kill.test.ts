// kill -9 of `ml campaign learn --campaign ID --activate` mid-write (it stores the proposed policy
// version, then activates it), with real processes, while a decision service decides with the
// active policy: after each kill one policy is active, the one before (old) or the proposal (new),
// never none or two; a proposal stored but not activated (killed between its two transactions) is
// counted apart, and the command run again activates it without storing another; the service
// answers 200 with the active version. On PostgreSQL the CLI is also killed while a trigger holds
// the activating UPDATE; on the embedded store (hosted by the service, the CLI its client) at
// moments spread over its run. Also: two learns at once on one store, one of them killed.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureActivePolicy } from "@pp/ml/campaigns/active-policy.ts";
import { runCampaignReport } from "@pp/ml/campaigns/campaign-report.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { policies } from "@pp/shared/db/schema.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";
import {
  DECISION_BODY,
  DECISION_KEY,
  decisionReadyOnFreePort,
  killHard,
  startForecastStub,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const cleanups: Array<() => Promise<void> | void> = [];
let forecast: { url: string; stop(): void };
beforeAll(() => {
  forecast = startForecastStub();
});
afterAll(() => forecast?.stop());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 40 decisions of campaign `id` (half control) and their purchases, reported: ready to learn. */
async function reportedCampaign(db: DatabaseHandle, dir: string, id: string): Promise<void> {
  await ensureActivePolicy(db.db); // default v1 active, email uplift 0.2
  const customers = Array.from({ length: 40 }, (_, i) => `${id}-${i}`);
  await new DecisionLogRepository(db.db).insertMany(
    customers.map((c, i) =>
      campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id,
        group: i % 2 === 0 ? "treated" : "control",
      }),
    ),
  );
  const lines = customers.flatMap((c, i) => {
    const n = (i % 2 === 0 ? 1 : 0) + (Math.floor(i / 2) % 3);
    return Array.from({ length: n }, (_, k) => `${c},1997-10-${10 + k},20`);
  });
  const csv = join(dir, `${id}.csv`);
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  await runCampaignReport({
    db: db.db,
    campaign: id,
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
}

/** The versions of `default`, and the one active policy (fails on none or two). */
async function stored(db: DatabaseHandle): Promise<{ versions: number; active: number }> {
  const rows = await db.db.select().from(policies);
  const active = rows.filter((r) => r.active);
  expect(active.map((r) => r.name)).toEqual(["default"]);
  return {
    versions: rows.filter((r) => r.name === "default").length,
    active: active[0]?.version as number,
  };
}

/** Decisions answer 200 with policy `version` within 10 s (re-read past POLICY_CACHE_MS). */
async function decidesWith(base: string, version: number): Promise<void> {
  let last: unknown;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(100)) {
    const res = await fetch(`${base}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${DECISION_KEY}`, "content-type": "application/json" },
      body: DECISION_BODY,
    });
    expect(res.status).toBe(200);
    last = ((await res.json()) as { policy?: { version?: number } }).policy?.version;
    if (last === version) return;
  }
  expect(last).toBe(version);
}

/** The active policy re-read after 300 ms, not 5 s: the rounds wait for each switch. */
const SERVICE_ENV = () => ({ FORECAST_URL: forecast.url, POLICY_CACHE_MS: "300" });

const learnArgs = (campaign: string) => ["campaign", "learn", "--campaign", campaign, "--activate"];

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

/**
 * Each round: v1 active again, a new campaign reported, its learn killed at `moment(i)`; counted
 * as old, proposal (stored, not active) or new; the service decides with the active version; run
 * again, the proposal (one, however often run) is active and decided with.
 */
async function killRounds(
  db: DatabaseHandle,
  service: ServiceProcess,
  env: Record<string, string>,
  dir: string,
  rounds: number,
  moment: (i: number) => Promise<unknown>,
  settle: () => Promise<void>,
  first = 0,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0, old: 0, proposal: 0, new: 0 };
  const bump = (k: string) => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  for (let i = 0; i < rounds; i++) {
    const campaign = `kill-${first + i}`;
    await new PolicyStore(db.db).activate("default", 1);
    await reportedCampaign(db, dir, campaign);
    const before = await stored(db);
    const ended = await killedMl(env, learnArgs(campaign), moment(i));
    if (ended === "killed") bump("kills");
    else {
      expect(ended).toBe(0);
      bump("finished");
    }
    await settle();
    const after = await stored(db);
    expect(after.versions - before.versions).toBeLessThanOrEqual(1);
    if (after.active === 1) bump(after.versions > before.versions ? "proposal" : "old");
    else {
      expect(after.active).toBe(after.versions);
      bump("new");
    }
    await decidesWith(service.base, after.active);
    const rerun = await runBun(ML, learnArgs(campaign), env, { timeoutMs: 60_000 });
    expect({ status: rerun.status, err: rerun.stderr }).toEqual({ status: 0, err: "" });
    const done = await stored(db);
    expect(done.versions).toBe(before.versions + 1);
    expect(done.active).toBe(done.versions);
    await decidesWith(service.base, done.active);
  }
  return counts;
}

/**
 * Two learns at once (two campaigns), the second killed at `ms`: each stores at most one version,
 * one policy is active (the first's proposal or the second's), decided with.
 */
async function twoAtOnce(
  db: DatabaseHandle,
  service: ServiceProcess,
  env: Record<string, string>,
  dir: string,
  ms: number,
) {
  const [a, b] = [`twice-a-${Math.round(ms)}`, `twice-b-${Math.round(ms)}`];
  await new PolicyStore(db.db).activate("default", 1);
  await reportedCampaign(db, dir, a);
  await reportedCampaign(db, dir, b);
  const before = await stored(db);
  const [first, second] = await Promise.all([
    runBun(ML, learnArgs(a), env, { timeoutMs: 60_000 }),
    killedMl(env, learnArgs(b), Bun.sleep(ms)),
  ]);
  expect({ status: first.status, err: first.stderr }).toEqual({ status: 0, err: "" });
  expect([0, "killed"] as unknown[]).toContain(second);
  const after = await stored(db);
  expect(after.versions - before.versions).toBeGreaterThanOrEqual(1);
  expect(after.versions - before.versions).toBeLessThanOrEqual(2);
  expect(after.active).toBeGreaterThan(before.versions);
  await decidesWith(service.base, after.active);
}

/** How long a whole learn takes here now: the shorter of two (the kills are spread over it). */
async function wholeRunMs(db: DatabaseHandle, env: Record<string, string>, dir: string) {
  const took: number[] = [];
  for (const campaign of ["whole-1", "whole-2"]) {
    await new PolicyStore(db.db).activate("default", 1);
    await reportedCampaign(db, dir, campaign);
    const began = performance.now();
    const run = await runBun(ML, learnArgs(campaign), env, { timeoutMs: 60_000 });
    expect(run.status).toBe(0);
    took.push(performance.now() - began);
  }
  return Math.min(...took);
}

/** A trigger that holds the UPDATE making a policy active, for the ms in the table. */
const PAUSE_SQL = `
create table test_activation_pause (ms integer not null);
create function test_activation_pause() returns trigger language plpgsql as $$
begin
  if new.active then
    perform pg_sleep(coalesce((select max(ms) from test_activation_pause), 0) / 1000.0);
  end if;
  return new;
end $$;
create trigger test_pause_activation before update on policies
  for each row execute function test_activation_pause();`;

/** On PostgreSQL: resolves once another backend is in an UPDATE of policies setting it active. */
async function inActivation(admin: postgres.Sql): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(10)) {
    const rows = await admin<{ query: string }[]>`select query from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
      and wait_event = 'PgSleep'`;
    if (rows.some(({ query }) => query.toLowerCase().includes('update "policies"'))) return;
  }
  throw new Error("no CLI reached the activation within 30 s");
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

test("PostgreSQL: learn --activate killed in its activation and over its run: one policy active", async () => {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const dir = tempDir("pp-learn-kill-");
  const env = { DATABASE_URL: pg.options.databaseUrl as string };
  const admin = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} });
  cleanups.push(() => admin.end());
  await admin.unsafe(PAUSE_SQL);
  await ensureActivePolicy(pg.handle.db);
  const { service } = await decisionReadyOnFreePort({ ...env, ...SERVICE_ENV() });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  const held = await killRounds(
    pg.handle,
    service,
    env,
    dir,
    2,
    async () => {
      await admin`insert into test_activation_pause values (1500)`;
      await inActivation(admin);
      await admin`delete from test_activation_pause`;
    },
    () => settled(admin),
  );
  // Held in the activation: its transaction is rolled back, the proposal stays stored.
  expect(held).toMatchObject({ kills: 2, proposal: 2 });
  const ms = await wholeRunMs(pg.handle, env, dir);
  const timed = await killRounds(
    pg.handle,
    service,
    env,
    dir,
    5,
    (i) => Bun.sleep(ms * (0.5 + i * 0.15)),
    () => settled(admin),
    10,
  );
  console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, held, "timed:", timed);
  await twoAtOnce(pg.handle, service, env, dir, ms * 0.6);
  await twoAtOnce(pg.handle, service, env, dir, ms * 0.9);
}, 120_000);

test("embedded store hosted by the service: learn --activate killed over its run: one policy active", async () => {
  const dir = tempDir("pp-learn-kill-embedded-");
  const dataDir = join(dir, "store");
  const seed = await createDatabase({ dataDir });
  await seed.migrate();
  await ensureActivePolicy(seed.db);
  await seed.close();
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, DECISION_DATA_DIR: dataDir };
  const { service } = await decisionReadyOnFreePort({ ...env, ...SERVICE_ENV() });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  // The test reads and writes the store as another client of the service's host.
  const db = await createDatabase({ dataDir });
  cleanups.push(() => db.close());
  const ms = await wholeRunMs(db, env, dir);
  const counts = await killRounds(
    db,
    service,
    env,
    dir,
    5,
    (i) => Bun.sleep(ms * (0.5 + i * 0.15)),
    () => Bun.sleep(50),
  );
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(db, service, env, dir, ms * 0.7);
}, 120_000);
