// kill -9 of `ml gc --delete` mid-delete, with real processes, while a forecast service serves
// the production version from the same registry: after each kill the orphans left are a part of
// those before (none comes back, none of a version's files is touched), every registered version
// still passes promotion's file check and is served, the dry run lists what is left, and running
// it again removes the rest. On PostgreSQL and on the embedded store (hosted by the service, the
// CLI its client), killed at moments spread over a whole run.
import { expect, test } from "bun:test";
import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  caseServiceStarter,
  expectServes,
  forecastOnRegistry,
  registerTwoVersions,
} from "../testing/case-rule-demo.ts";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import { killedCli } from "../testing/cli-kill.ts";
import { seededStore } from "../testing/kill-stores.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
/** Orphan prefixes per round: enough files that the deleting takes a part of the run. */
const ORPHANS = 60;
const { cleanups, tempDir } = cleanupsAfterEach();
const start = caseServiceStarter(cleanups);

/** `count` orphan prefixes of 4 files each, a day old, as killed registrations leave them. */
function writeOrphans(artifacts: string, round: number, count: number): void {
  const old = new Date(Date.now() - 86_400_000);
  for (let i = 0; i < count; i++) {
    const dir = join(artifacts, "models", "purchase", `orphan-${round}-${i}`);
    mkdirSync(dir, { recursive: true });
    for (const file of ["model.onnx", "bundle.json", "summaries.json", "report.html"]) {
      writeFileSync(join(dir, file), "x".repeat(2048));
      utimesSync(join(dir, file), old, old);
    }
  }
}

/** The orphan prefixes the dry run lists. */
async function orphansListed(env: Record<string, string>): Promise<number> {
  const run = await runBun(ML, ["gc", "--min-age", "0"], env, { timeoutMs: 60_000 });
  expect({ status: run.status, err: run.stderr }).toEqual({ status: 0, err: "" });
  const n = /(\d+) unreferenced prefixes/.exec(run.stdout)?.[1];
  expect(n).toBeDefined();
  return Number(n);
}

/** Both versions still pass promotion's file check; the service serves the one promoted last. */
async function versionsIntact(env: Record<string, string>, base: string): Promise<void> {
  for (const version of ["1", "2"]) {
    const run = await runBun(ML, ["promote", "purchase", version], env, { timeoutMs: 60_000 });
    expect({ version, status: run.status, err: run.stderr }).toEqual({
      version,
      status: 0,
      err: "",
    });
  }
  await expectServes(base, 2);
}

/** `ml gc --delete --min-age 0`, killed with SIGKILL after `ms` (if still running). */
const killedGc = (env: Record<string, string>, ms: number) =>
  killedCli("ml", ML, env, ["gc", "--delete", "--min-age", "0"], Bun.sleep(ms));

/** Rounds of ORPHANS orphans, gc killed over its run (its end: the deleting comes last): what was left each time, then the rerun. */
async function killRounds(env: Record<string, string>, artifacts: string, base: string) {
  const seen: string[] = [];
  writeOrphans(artifacts, 0, ORPHANS);
  const began = performance.now();
  expect((await runBun(ML, ["gc", "--delete", "--min-age", "0"], env)).status).toBe(0);
  const ms = performance.now() - began;
  expect(await orphansListed(env)).toBe(0);
  for (let round = 1; round <= 5; round++) {
    writeOrphans(artifacts, round, ORPHANS);
    const ended = await killedGc(env, ms * (0.7 + round * 0.06));
    const left = await orphansListed(env);
    expect(left).toBeLessThanOrEqual(ORPHANS);
    seen.push(`${ended === "killed" ? "killed" : `exit ${ended}`}: ${left} of ${ORPHANS} left`);
    await versionsIntact(env, base);
    const rerun = await runBun(ML, ["gc", "--delete", "--min-age", "0"], env, {
      timeoutMs: 60_000,
    });
    expect({ status: rerun.status, err: rerun.stderr }).toEqual({ status: 0, err: "" });
    expect(await orphansListed(env)).toBe(0);
  }
  return { ms, seen };
}

test("PostgreSQL: gc --delete killed over its run deletes a part of the orphans, never a version's files", async () => {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const artifacts = tempDir("pp-gc-kill-");
  await registerTwoVersions(pg.handle.db, artifacts);
  const env = { DATABASE_URL: pg.options.databaseUrl as string, ARTIFACT_STORE_URI: artifacts };
  const base = await forecastOnRegistry(start, env);
  const { ms, seen } = await killRounds(env, artifacts, base);
  console.error(`postgres (a whole gc ${ms.toFixed(0)} ms): ${seen.join("; ")}`);
}, 120_000);

test("embedded store hosted by the forecast service: gc --delete killed over its run", async () => {
  const dataDir = tempDir("pp-gc-kill-embedded-");
  const artifacts = join(dataDir, "artifacts");
  await seededStore(dataDir, (seed) => registerTwoVersions(seed.db, artifacts));
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, ARTIFACT_STORE_URI: artifacts };
  const base = await forecastOnRegistry(start, env);
  const { ms, seen } = await killRounds(env, artifacts, base);
  console.error(`embedded (a whole gc ${ms.toFixed(0)} ms): ${seen.join("; ")}`);
}, 120_000);
