// `ml publish --follow` as an operator runs it: a real process on a throwaway PostgreSQL cluster,
// publishing to wrangler's local state. It follows `ml promote`, a promotion by hand (an UPDATE),
// an erasure, the database stopped and started under it, and a kill -9 mid-publish (the next
// follower catches up); started when the Workers are up to date, it publishes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { releaseLease, tryLease } from "@pp/shared/registry/publish-leases.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import { trainNewDemoVersion } from "../src/testing/demo-registry.ts";
import { localStateInspector } from "../src/testing/local-workers-state.ts";
import { type Follower, publishProcesses } from "../src/testing/publish-processes.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-follow-"));
const persist = join(scratch, "state");
const artifacts = join(scratch, "artifacts");
const bin = postgresBinDirOrWarn("the publish follower test");
let pg: ThrowawayPostgres | null = null;
let handle: DatabaseHandle;
let registry: ModelRegistry;

const processes = publishProcesses(persist, () => ({
  DATABASE_URL: pg?.url,
  ARTIFACT_STORE_URI: artifacts,
}));
const startFollower = () => processes.startFollower();

// One inspector process for the file: a fresh miniflare per inspection, Node and tsx loaded once.
const inspector = localStateInspector(persist);
const inspect = (customer?: string) => inspector.inspect("purchase", customer);

/**
 * Takes the model's lease as `holder` once it is free (a follower holds it for a moment at its
 * start-up publish): null when taken, else who still holds it after 10 s.
 */
async function takeLeaseOnceFree(holder: string, seconds: number): Promise<string | null> {
  const until = Date.now() + 10_000;
  let current = await tryLease(handle.db, "purchase", seconds, holder);
  while (current !== null && Date.now() < until) {
    await Bun.sleep(50);
    current = await tryLease(handle.db, "purchase", seconds, holder);
  }
  return current;
}

/** A promotion by hand: one UPDATE, as an operator with psql would do it. */
async function promoteByHand(version: number): Promise<void> {
  await handle.db.execute(sql`
    UPDATE model_versions SET stage = CASE WHEN version = ${version} THEN 'production'::model_stage
      ELSE 'archived'::model_stage END
    WHERE model_id = (SELECT id FROM models WHERE name = 'purchase')`);
}

beforeAll(async () => {
  if (!bin) return;
  pg = ThrowawayPostgres.create(bin);
  handle = await createDatabase({ databaseUrl: pg.url });
  await handle.migrate();
  registry = new ModelRegistry(handle.db, new FileArtifactStore(artifacts));
  await ensureDemoModel({ registry, modelName: "purchase", customers: 400, seed: 5 });
}, 120_000);

afterAll(async () => {
  processes.crashAll(); // a test that failed midway leaves a follower running
  await inspector.close();
  await handle?.close();
  pg?.destroy();
  rmSync(scratch, { recursive: true, force: true });
}, 30_000);

describe.skipIf(!bin)("ml publish --follow", () => {
  let follower: Follower;

  test("publishes production at start, then every promotion: ml promote and an UPDATE by hand", async () => {
    follower = startFollower();
    // v2 is trained while the follower starts and publishes v1; it is registered and promoted
    // only once v1 is seen served.
    const trained = trainNewDemoVersion({
      name: "purchase",
      customers: 300,
      seed: 7,
      source: "second version",
    });
    let at = await follower.waitFor(/published v1/);
    expect((await inspect()).loaded).toMatchObject({ version: 1 });

    const promoteSecond = await trained;
    await promoteSecond(registry);
    at = await follower.waitFor(/published v2/, at);
    expect((await inspect()).loaded).toMatchObject({ version: 2 });

    await promoteByHand(1);
    at = await follower.waitFor(/published v1/, at);
    expect((await inspect()).loaded).toMatchObject({ version: 1 });
  }, 180_000);

  test("an erasure of production's customers is published: the Workers no longer know them", async () => {
    const production = await registry.getProductionVersion("purchase");
    const [row] = await readAllCustomerFeatures(handle.db, production?.id ?? 0);
    if (!row) throw new Error("production stores no customers");
    expect((await inspect(row.customerId)).loaded).toMatchObject({ version: 1, knows: true });
    const from = follower.lines.length;
    await forgetCustomers(handle.db, [row.customerId]);
    await follower.waitFor(/published v1/, from);
    expect((await inspect(row.customerId)).loaded).toMatchObject({ version: 1, knows: false });
  }, 120_000);

  test("the database stopped and started under it: it keeps running and publishes the next promotion", async () => {
    const from = follower.lines.length;
    pg?.stop();
    // Down until the follower has felt it both ways: its notification connection lost, and a
    // comparison that failed and is retried.
    await follower.waitFor(/lost the notification connection/, from);
    await follower.waitFor(/not published, retried/, from);
    pg?.start();
    await follower.waitFor(/listening for production changes/, from);
    await promoteByHand(2);
    await follower.waitFor(/published v2/, from);
    expect(follower.child.exitCode).toBeNull();
    expect((await inspect()).loaded).toMatchObject({ version: 2 });
  }, 120_000);

  test("kill -9 mid-publish: the Workers serve a complete bundle; the next follower catches up", async () => {
    const from = follower.lines.length;
    await promoteByHand(1);
    await follower.waitFor(/publishing v1/, from);
    follower.crash();
    await follower.exited;
    const midway = await inspect();
    expect("version" in midway.loaded).toBe(true); // v1 or v2, loadable either way

    // The killed one's lease runs out after its 3 s term; then the new follower publishes.
    follower = startFollower();
    await follower.waitFor(/published v1|serve v1 as it is/);
    expect((await inspect()).loaded).toMatchObject({ version: 1 });
  }, 120_000);

  test("ml killed with SIGKILL alone: the publish step it started stops too", async () => {
    const from = follower.lines.length;
    follower.child.kill("SIGKILL"); // only ml; the step is its child
    await follower.exited;
    await follower.waitFor(/the ml process that started this follower is gone; stopping/, from);
    await follower.waitFor(/stopped following/, from);
    follower = startFollower();
    await follower.waitFor(/the Workers serve v1 as it is in the registry/);
  }, 60_000);

  test("one publisher at a time: the follower retries, ml publish waits, an expired lease is taken over", async () => {
    const db = handle.db;
    let from = follower.lines.length;
    expect(await takeLeaseOnceFree("test operator", 60)).toBeNull();
    await promoteByHand(2);
    await follower.waitFor(/not published, retried .*test operator is publishing it/, from);
    // Released only once the one-shot says it waits: under load its start-up alone can take
    // seconds (CI saw it reach the lease after the release, and print no wait).
    const oneShot = processes.startOneShot();
    await oneShot.waitFor(/purchase: waiting for test operator, who is publishing it/);
    await Bun.sleep(1000);
    expect(oneShot.child.exitCode).toBeNull(); // still waiting for the lease
    await releaseLease(db, "purchase", "test operator");
    // The follower may take the freed lease first: the one-shot then waits for it, and publishes.
    expect(await oneShot.exited).toBe(0);
    await oneShot.waitFor(/published purchase v2/);
    await follower.waitFor(/the Workers serve v2 as it is in the registry|published v2/, from);
    expect((await inspect()).loaded).toMatchObject({ version: 2 });

    // A holder killed mid-publish never releases: its term runs out and the follower goes on
    // (4 s leaves a loaded follower time to see it held first).
    from = follower.lines.length;
    expect(await takeLeaseOnceFree("killed publisher", 4)).toBeNull();
    await promoteByHand(1);
    await follower.waitFor(/killed publisher is publishing it/, from);
    await follower.waitFor(/published v1/, from, 30_000);
    expect((await inspect()).loaded).toMatchObject({ version: 1 });
  }, 120_000);

  test("stopped with SIGTERM it exits 0; started again up to date, it publishes nothing", async () => {
    follower.child.kill("SIGTERM");
    expect(await follower.exited).toBe(0);
    expect(follower.lines.join("\n")).toContain("purchase: stopped following");

    follower = startFollower();
    await follower.waitFor(/the Workers serve v1 as it is in the registry/);
    // Up to date, it takes no lease at its wake-ups: another holding it for two more intervals
    // is not in its way (it used to report "not published" at each one).
    expect(await takeLeaseOnceFree("test operator", 60)).toBeNull();
    await Bun.sleep(2500);
    await releaseLease(handle.db, "purchase", "test operator");
    expect(follower.lines.filter((line) => /publishing/.test(line))).toEqual([]);
    follower.child.kill("SIGTERM");
    expect(await follower.exited).toBe(0);
  }, 120_000);
});
