// Many `ml forget`s on one version at once: real processes, both database drivers. Six at once on
// one version ran out of tries and ended with a warning, the customer still named.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ArtifactStore } from "@pp/shared/artifacts/artifact-store.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { type Database, type DatabaseDriver, queryRows } from "@pp/shared/db/database.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";

setDefaultTimeout(300_000);

const cli = join(resolve(import.meta.dirname, "../.."), "ml/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "pp-forget-leftovers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A version whose metrics.json names `ids` (its read's warnings); none of them is stored. */
function registerNaming(registry: ModelRegistry, model: string, ids: readonly string[]) {
  const metrics = { holdout_mae: 0.5, data: { case_variant_ids: ids } };
  const input = registrationInput(plainCustomers(["k1", "k2"]), true);
  input.artifacts.push({
    name: "metrics.json",
    bytes: new TextEncoder().encode(`${JSON.stringify(metrics, null, 2)}\n`),
  });
  return registry.registerVersion(model, input);
}

/** Keys of the store whose object holds `text`. */
async function naming(store: ArtifactStore, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const key of await store.list("models/")) {
    if (new TextDecoder().decode(await store.get(key)).includes(text)) found.push(key);
  }
  return found;
}

/** Versions that fail the checks the forecast service makes when it loads them. */
async function unloadable(registry: ModelRegistry): Promise<string[]> {
  const failed: string[] = [];
  for (const version of await registry.listVersions()) {
    try {
      await registry.verifyVersion(version);
      for (const entry of version.artifacts) await registry.loadArtifact(version, entry.name);
    } catch (error) {
      failed.push(`v${version.version}: ${(error as Error).message}`);
    }
  }
  return failed;
}

describe.each(testDrivers())("%s", (driver: DatabaseDriver) => {
  // A database per test: ml forget goes through every version of the registry.
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const t of opened) await t.cleanup();
  });
  async function database() {
    const t = await openTestDatabase(driver);
    opened.push(t);
    const env: Record<string, string> =
      driver === "postgres"
        ? { DATABASE_URL: t.options.databaseUrl as string, DATA_DIR: join(dir, "unused") }
        : { DATABASE_URL: "", DATA_DIR: t.options.dataDir as string };
    return { db: t.handle.db, env };
  }
  // Six customers, one version: each run reads the version's files, rewrites them and switches
  // the row. The test holds the version's row (PostgreSQL), or the embedded store's one session,
  // while the six start, so that they reach the version at once rather than one after another.
  test("six ml forgets on one version at once: none of the six is left in any file", async () => {
    const { db, env: databaseEnv } = await database();
    const store = new FileArtifactStore(join(dir, `six-${driver}`));
    const registry = new ModelRegistry(db, store);
    const ids = ["c-1", "c-2", "c-3", "c-4", "c-5", "c-6"];
    const version = await registerNaming(registry, "six", ids);
    const env = { ...databaseEnv, ARTIFACT_STORE_URI: store.baseUri };
    let started: Array<ReturnType<typeof runBun>> = [];
    await db.transaction(async (tx) => {
      await tx.execute(sql`select id from model_versions where id = ${version.id} for update`);
      started = ids.map((id) => runBun(cli, ["forget", id], env));
      if (driver === "postgres") await waitersOnVersions(tx, ids.length);
      else await Bun.sleep(3_000);
    });
    const runs = await Promise.all(started);
    const failed = runs.filter((run) => run.status !== 0 || run.stdout.includes("warning:"));
    expect(failed.map((run) => `${run.stdout}\n${run.stderr}`)).toEqual([]);
    for (const id of ids) expect(await naming(store, `"${id}"`)).toEqual([]);
    expect(await unloadable(registry)).toEqual([]);
  });
});

/** Waits until `count` other sessions wait on a lock in a statement on model_versions. */
async function waitersOnVersions(tx: Database, count: number): Promise<void> {
  const until = performance.now() + 120_000;
  for (;;) {
    await tx.execute(sql`select pg_stat_clear_snapshot()`);
    const [waiting] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'
        and query ilike '%model_versions%' and pid <> pg_backend_pid()`,
    );
    if (Number(waiting?.n) >= count) return;
    if (performance.now() > until) throw new Error(`never ${count} waiting on model_versions`);
    await Bun.sleep(5);
  }
}
