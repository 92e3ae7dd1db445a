// kill -9 of `ml gc --delete` mid-delete, with real processes, while a forecast service serves
// the production version from the same registry: after each kill the orphans left are a part of
// those before (none comes back, none of a version's files is touched), every registered version
// still passes promotion's file check and is served, the dry run lists what is left, and running
// it again removes the rest. On PostgreSQL and on the embedded store (hosted by the service, the
// CLI its client), killed at moments spread over a whole run.
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { caseServiceStarter, registerCaseDemo, waitOk } from "../testing/case-rule-demo.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
/** Orphan prefixes per round: enough files that the deleting takes a part of the run. */
const ORPHANS = 60;
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
  for (const deadline = Date.now() + 20_000; ; await Bun.sleep(100)) {
    const res = await fetch(`${base}/model-info`);
    expect(res.status).toBe(200);
    const { version } = (await res.json()) as { version?: number };
    if (version === 2) return;
    expect(Date.now()).toBeLessThan(deadline);
  }
}

/** `ml gc --delete --min-age 0`, killed with SIGKILL after `ms` (if still running). */
async function killedGc(
  env: Record<string, string>,
  ms: number,
): Promise<"killed" | number | null> {
  const cli = startBun("ml", ML, env, { args: ["gc", "--delete", "--min-age", "0"] });
  const exit = exitCodeOf(cli);
  await Promise.race([Bun.sleep(ms), exit]);
  if (cli.exited()) return exit;
  cli.child.kill("SIGKILL");
  await exit;
  return "killed";
}

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

test("PostgreSQL: gc --delete killed over its run deletes a part of the orphans, never a version's files", async () => {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const artifacts = tempDir("pp-gc-kill-");
  await registerCaseDemo(pg.handle.db, artifacts, false);
  await registerCaseDemo(pg.handle.db, artifacts, false);
  const env = { DATABASE_URL: pg.options.databaseUrl as string, ARTIFACT_STORE_URI: artifacts };
  const base = await forecastOn(env);
  const { ms, seen } = await killRounds(env, artifacts, base);
  console.error(`postgres (a whole gc ${ms.toFixed(0)} ms): ${seen.join("; ")}`);
}, 120_000);

test("embedded store hosted by the forecast service: gc --delete killed over its run", async () => {
  const dataDir = tempDir("pp-gc-kill-embedded-");
  const artifacts = join(dataDir, "artifacts");
  const seed = await createDatabase({ dataDir });
  await seed.migrate();
  await registerCaseDemo(seed.db, artifacts, false);
  await registerCaseDemo(seed.db, artifacts, false);
  await seed.close();
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, ARTIFACT_STORE_URI: artifacts };
  const base = await forecastOn(env);
  const { ms, seen } = await killRounds(env, artifacts, base);
  console.error(`embedded (a whole gc ${ms.toFixed(0)} ms): ${seen.join("; ")}`);
}, 120_000);
