// kill -9 of `ml campaign learn --campaign ID --activate` mid-write (it stores the proposed policy
// version, then activates it), with real processes, while a decision service decides with the
// active policy: after each kill one policy is active, the one before (old) or the proposal (new),
// never none or two; a proposal stored but not activated (killed between its two transactions) is
// counted apart, and the command run again activates it without storing another; the service
// answers 200 with the active version. On PostgreSQL the CLI is also killed while a trigger holds
// the activating UPDATE; on the embedded store (hosted by the service, the CLI its client) at
// moments spread over its run. Also: two learns at once on one store, one of them killed.
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { ensureActivePolicy } from "@pp/ml/campaigns/active-policy.ts";
import { reportedCampaign as reportedCampaignIn } from "@pp/ml/testing/reported-campaign.ts";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { policies } from "@pp/shared/db/schema.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import {
  type KillRound,
  killedCli,
  killRounds,
  shortestRunMs,
  spreadOver,
} from "../testing/cli-kill.ts";
import {
  DECISION_BODY,
  DECISION_KEY,
  decisionReadyOnFreePort,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import {
  type KillSetup,
  pausablePostgres,
  seededStore,
  storeClient,
} from "../testing/kill-stores.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const { cleanups, tempDir } = cleanupsAfterEach();
const forecast = forecastStubAroundTests();

/** Campaign `id` (40 customers, half control) decided and reported (default v1 active): ready to learn. */
async function reportedCampaign(db: DatabaseHandle, dir: string, id: string): Promise<void> {
  await ensureActivePolicy(db.db); // default v1 active, email uplift 0.2
  await reportedCampaignIn(db.db, dir, id);
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

/** What a kill may leave: the policy before, the proposal stored but not active, or it active. */
const LEFT = ["old", "proposal", "new"];

const learnArgs = (campaign: string) => ["campaign", "learn", "--campaign", campaign, "--activate"];

/** `ml ARGS`, killed with SIGKILL once `killWhen` resolves (if still running). */
const killedMl = (env: Record<string, string>, args: string[], killWhen: Promise<unknown>) =>
  killedCli("ml", ML, env, args, killWhen);

/** The kill setup and a directory for the campaigns' purchase files. */
type Setup = KillSetup & { dir: string };

/** v1 active again and campaign `id` reported: ready to learn. */
async function readyToLearn({ db, dir }: Setup, id: string) {
  await new PolicyStore(db.db).activate("default", 1);
  await reportedCampaign(db, dir, id);
}

/**
 * Each round (campaigns numbered from `first`): v1 active again, a new campaign reported, its
 * learn killed; counted as old, proposal (stored, not active) or new; the service decides with
 * the active version; run again, the proposal (one, however often run) is active and decided with.
 */
function learnRound(setup: Setup, first = 0): KillRound {
  const { db, service, env } = setup;
  const campaign = (i: number) => `kill-${first + i}`;
  let before = { versions: 0, active: 0 };
  return {
    async run(i, at) {
      await readyToLearn(setup, campaign(i));
      before = await stored(db);
      return killedMl(env, learnArgs(campaign(i)), at());
    },
    async left(i) {
      const after = await stored(db);
      expect(after.versions - before.versions).toBeLessThanOrEqual(1);
      if (after.active !== 1) expect(after.active).toBe(after.versions);
      await decidesWith(service.base, after.active);
      const rerun = await runBun(ML, learnArgs(campaign(i)), env, { timeoutMs: 60_000 });
      expect({ status: rerun.status, err: rerun.stderr }).toEqual({ status: 0, err: "" });
      const done = await stored(db);
      expect(done.versions).toBe(before.versions + 1);
      expect(done.active).toBe(done.versions);
      await decidesWith(service.base, done.active);
      if (after.active !== 1) return "new";
      return after.versions > before.versions ? "proposal" : "old";
    },
  };
}

/**
 * Two learns at once (two campaigns), the second killed at `ms`: each stores at most one version,
 * one policy is active (the first's proposal or the second's), decided with.
 */
async function twoAtOnce(setup: Setup, ms: number) {
  const { db, service, env } = setup;
  const [a, b] = [`twice-a-${Math.round(ms)}`, `twice-b-${Math.round(ms)}`];
  await readyToLearn(setup, a);
  await reportedCampaign(db, setup.dir, b);
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
function wholeRunMs(setup: Setup) {
  return shortestRunMs(
    2,
    async (i) => {
      await readyToLearn(setup, `whole-${i + 1}`);
      return `whole-${i + 1}`;
    },
    async (campaign) => {
      const run = await runBun(ML, learnArgs(campaign), setup.env, { timeoutMs: 60_000 });
      expect(run.status).toBe(0);
    },
  );
}

test("PostgreSQL: learn --activate killed in its activation and over its run: one policy active", async () => {
  // Only the UPDATE making a policy active is held (not the one deactivating the old one).
  const { pg, env, pause } = await pausablePostgres(cleanups, {
    table: "policies",
    statement: "update",
    when: "new.active",
    sleeping: true,
  });
  const dir = tempDir("pp-learn-kill-");
  await ensureActivePolicy(pg.handle.db);
  const { service } = await decisionReadyOnFreePort({ ...env, ...SERVICE_ENV() });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  const setup = { db: pg.handle, service, env, dir };
  const held = await killRounds(learnRound(setup), 2, pause.plan(["update"]), LEFT);
  // Held in the activation: its transaction is rolled back, the proposal stays stored.
  expect(held).toMatchObject({ kills: 2, proposal: 2 });
  const ms = await wholeRunMs(setup);
  const timed = await killRounds(
    learnRound(setup, 10),
    5,
    spreadOver(ms, 0.5, 0.15, () => pause.settled()),
    LEFT,
  );
  console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, held, "timed:", timed);
  await twoAtOnce(setup, ms * 0.6);
  await twoAtOnce(setup, ms * 0.9);
}, 120_000);

test("embedded store hosted by the service: learn --activate killed over its run: one policy active", async () => {
  const dir = tempDir("pp-learn-kill-embedded-");
  const dataDir = join(dir, "store");
  await seededStore(dataDir, (seed) => ensureActivePolicy(seed.db));
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, DECISION_DATA_DIR: dataDir };
  const { service } = await decisionReadyOnFreePort({ ...env, ...SERVICE_ENV() });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  // The test reads and writes the store as another client of the service's host.
  const setup = { db: await storeClient(cleanups, dataDir), service, env, dir };
  const ms = await wholeRunMs(setup);
  // Past 5 rounds only while no kill landed (a run faster than timed): at most 10 in all.
  const counts = await killRounds(learnRound(setup), 5, spreadOver(ms, 0.5, 0.15), LEFT, {
    kills: 1,
    rounds: 10,
  });
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(setup, ms * 0.7);
}, 120_000);
