// `ml promote|rollback --publish` and `ml forget --republish` around the forecast Workers, in-process
// on the embedded store: an unknown target changes nothing in the registry, and a publish step
// that fails after the registry changed says what is done and which `ml publish` to run. The
// paths that reach the Workers are tested with `wrangler dev` (services/conformance).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { CustomerFeaturesRepository } from "@pp/shared/registry/customer-features.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCliCaptured, saveDatabaseEnv } from "../testing/cli-harness.ts";

let dir: string;
let t: TestDatabase;
let registry: ModelRegistry;
let restore: () => void;
const ids = ["k1", "k2", "k3"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-workers-publish-"));
  t = await openTestDatabase("pglite");
  registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "store")));
  await registry.registerVersion("cli", registrationInput(plainCustomers(ids), true));
  await registry.registerVersion("cli", registrationInput(plainCustomers(ids), true)); // v1 archived
  restore = saveDatabaseEnv();
  process.env.DATA_DIR = t.options.dataDir as string;
  process.env.DATABASE_URL = "";
}, 60_000);

afterAll(async () => {
  restore?.();
  await t?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const production = async () => (await registry.getProductionVersion("cli"))?.version;
const missingConfig = () => ["--local", "--config", join(dir, "no-such-wrangler.toml")];

test("an unknown target is refused before the registry changes", async () => {
  for (const [args, flag] of [
    [["promote", "cli", "1", "--publish", "aws"], "--publish"],
    [["rollback", "cli", "--publish", "aws"], "--publish"],
    [["forget", "k1", "--republish", "aws"], "--republish"],
  ] as const) {
    const run = await runCliCaptured([...args]);
    expect(run.code).not.toBe(0);
    expect(run.err).toContain(`${flag}: only "cloudflare" is supported (got "aws")`);
  }
  expect(await production()).toBe(2);
  const v1 = await registry.getVersion("cli", 1);
  expect((await new CustomerFeaturesRepository(t.handle.db).get(v1?.id ?? 0, ["k1"])).size).toBe(1);
});

test("a failed publish after a promotion or a rollback says it is done and what to run", async () => {
  const promoted = await runCliCaptured([
    "promote",
    "cli",
    "1",
    "--publish",
    "cloudflare",
    ...missingConfig(),
  ]);
  expect(promoted.code).not.toBe(0);
  expect(promoted.out).toContain("cli v1 is production; v2 archived");
  expect(promoted.err).toContain(
    `the promotion is done in the registry, but publishing cli to the Workers failed (exit 1): run \`ml publish cli --target cloudflare --local --config ${join(dir, "no-such-wrangler.toml")}\` (safe to repeat)`,
  );
  expect(await production()).toBe(1);

  const rolledBack = await runCliCaptured([
    "rollback",
    "cli",
    "--publish",
    "cloudflare",
    ...missingConfig(),
  ]);
  expect(rolledBack.code).not.toBe(0);
  expect(rolledBack.err).toContain("the rollback is done in the registry, but publishing cli");
  expect(await production()).toBe(2);
}, 120_000);

test("a failed republish after an erasure says the erasure is done", async () => {
  const failed = await runCliCaptured([
    "forget",
    "k2",
    "--republish",
    "cloudflare",
    ...missingConfig(),
  ]);
  expect(failed.code).not.toBe(0);
  expect(failed.out).toContain("forgot 1 customer(s): 2 stored row(s) under 2 model version(s)");
  expect(failed.out).toContain(
    "cli: taking them out of the Workers' bundles of v1, v2; if this is interrupted, run `ml publish cli --target cloudflare --local",
  );
  expect(failed.err).toContain(
    `the erasure is done in the database, but publishing cli to the Workers failed (exit 1): run \`ml publish cli --target cloudflare --local --config ${join(dir, "no-such-wrangler.toml")} --erased 1,2\` (safe to repeat)`,
  );
  const v2 = await registry.getVersion("cli", 2);
  expect((await new CustomerFeaturesRepository(t.handle.db).get(v2?.id ?? 0, ids)).size).toBe(2);
}, 120_000);
