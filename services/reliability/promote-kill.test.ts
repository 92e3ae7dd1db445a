// kill -9 of `ml promote` and `ml rollback` mid-write, with real processes, while a forecast
// service serves the model's production version from the same store: after each kill the model has
// exactly one production version, the one before (old) or the one named (new), never none or two
// (the promotion archives the production version, then promotes the other, in one transaction);
// the service answers /model-info 200 and comes to serve that version; the command run again
// succeeds. On PostgreSQL the CLI is also killed while a trigger holds its UPDATE and its COMMIT;
// on the embedded store (hosted by the service, the CLI its client) at moments spread over its
// run. Also: two promotions of different versions at once, one killed.
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { models, modelVersions } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { and, eq } from "drizzle-orm";
import {
  caseServiceStarter,
  expectServes,
  forecastOnRegistry,
  registerTwoVersions,
} from "../testing/case-rule-demo.ts";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import { type KillRound, killedCli, killRounds, spreadOver } from "../testing/cli-kill.ts";
import { pausablePostgres, seededStore, storeClient } from "../testing/kill-stores.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const { cleanups, tempDir } = cleanupsAfterEach();
const start = caseServiceStarter(cleanups);

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

/** `ml ARGS`, killed with SIGKILL once `killWhen` resolves (if still running). */
const killedMl = (env: Record<string, string>, args: string[], killWhen: Promise<unknown>) =>
  killedCli("ml", ML, env, args, killWhen);

/** The command the round runs: promote the version that is not production, or roll back. */
function commandFor(i: number, current: number): { args: string[]; target: number } {
  const other = current === 1 ? 2 : 1;
  return i % 2 === 0
    ? { args: ["promote", "purchase", String(other)], target: other }
    : { args: ["rollback", "purchase"], target: other };
}

/** The store the test reads, the forecast service on it, the CLI's environment. */
interface Setup {
  db: DatabaseHandle;
  base: string;
  env: Record<string, string>;
}

/** Each round leaves old or new, the service serves it, a rerun finishes the command. */
function promoteRound({ db, base, env }: Setup): KillRound {
  let round = { before: 0, args: [] as string[], target: 0 };
  return {
    async run(i, at) {
      const before = await production(db);
      round = { before, ...commandFor(i, before) };
      return killedMl(env, round.args, at());
    },
    async left() {
      const { before, args, target } = round;
      const now = await production(db);
      expect([before, target]).toContain(now);
      await expectServes(base, now);
      if (now === before) {
        const rerun = await runBun(ML, args, env, { timeoutMs: 60_000 });
        expect({ status: rerun.status, err: rerun.stderr }).toEqual({ status: 0, err: "" });
        expect(await production(db)).toBe(target);
        await expectServes(base, target);
      }
      return now === before ? "old" : "new";
    },
  };
}

/** Two promotions at once (v1 and v2), the second killed at `ms`: one production version. */
async function twoAtOnce({ db, base, env }: Setup, ms: number) {
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

test("PostgreSQL: promote and rollback killed in an UPDATE, the COMMIT, over its run: one production version", async () => {
  const {
    pg,
    env: pgEnv,
    pause,
  } = await pausablePostgres(cleanups, {
    table: "model_versions",
    statement: "update",
    commit: true,
  });
  const artifacts = tempDir("pp-promote-kill-");
  await registerTwoVersions(pg.handle.db, artifacts);
  const env = { ...pgEnv, ARTIFACT_STORE_URI: artifacts };
  const base = await forecastOnRegistry(start, env);
  await expectServes(base, 2);
  const phases = ["update", "commit", "update", "commit"] as const;
  const setup = { db: pg.handle, base, env };
  const held = await killRounds(promoteRound(setup), phases.length, pause.plan(phases));
  // Killed in an UPDATE: nothing committed (old). In the COMMIT: it was sent and lands (new).
  expect(held).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
  const pgMs = await wholeRunMs(env, ["promote", "purchase", "1"]);
  const timed = await killRounds(
    promoteRound(setup),
    6,
    spreadOver(pgMs, 0.4, 0.12, () => pause.settled()),
  );
  console.error(`postgres (a whole run ${pgMs.toFixed(0)} ms), held:`, held, "timed:", timed);
  await twoAtOnce(setup, 500);
  await twoAtOnce(setup, 900);
}, 120_000);

test("embedded store hosted by the forecast service: promote and rollback killed over its run", async () => {
  const dataDir = tempDir("pp-promote-kill-embedded-");
  await seededStore(dataDir, (seed) => registerTwoVersions(seed.db, join(dataDir, "artifacts")));
  const env = { DATABASE_URL: "", DATA_DIR: dataDir };
  const base = await forecastOnRegistry(start, env);
  await expectServes(base, 2);
  // The test reads the store as another client of the service's host.
  const setup = { db: await storeClient(cleanups, dataDir), base, env };
  const ms = await wholeRunMs(env, ["promote", "purchase", "1"]);
  // Past 8 rounds only while no kill landed (a run faster than timed): at most 16 in all.
  const counts = await killRounds(promoteRound(setup), 8, spreadOver(ms, 0.3, 0.1), undefined, {
    kills: 1,
    rounds: 16,
  });
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(setup, 700);
}, 120_000);
