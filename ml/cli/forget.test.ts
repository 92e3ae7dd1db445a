// `ml forget`'s input (arguments and a file of ids: CRLF, empty lines, duplicates, a bad id named
// by file and line) and its chunked erasure (one transaction per chunk, totals over chunks).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { CustomerFeaturesRepository } from "@pp/shared/registry/customer-features.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCliCaptured, saveDatabaseEnv } from "../testing/cli-harness.ts";
import { customerIdsToForget, forgetInChunks } from "./forget.ts";

let dir: string;
let t: TestDatabase;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-forget-cli-"));
  t = await openTestDatabase("pglite");
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("ids from arguments and a file: CRLF, empty lines and duplicates handled", async () => {
  const file = join(dir, "ids.txt");
  writeFileSync(file, "c-1\r\n\r\n c-2 \nc-1\né😀\n");
  expect(await customerIdsToForget(["a", "c-1"], file)).toEqual(["a", "c-1", " c-2 ", "é😀"]);
});

test("a bad id fails the whole request, naming where it is; so does no id at all", async () => {
  const file = join(dir, "bad.txt");
  writeFileSync(file, "ok\nbad\u0000id\n");
  await expect(customerIdsToForget(["fine"], file)).rejects.toThrow(
    `customer id at ${file} line 2 contains a NUL character`,
  );
  await expect(customerIdsToForget(["\ud800"])).rejects.toThrow("argument 1 contains an unpaired");
  await expect(customerIdsToForget([])).rejects.toThrow("no customer ids");
});

test("chunks: one transaction each, totals and versions over all of them", async () => {
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "store")));
  const ids = Array.from({ length: 10 }, (_, i) => `k${i}`);
  const rows = ids.map((customerId) => ({ customerId, summary: {}, features: [1] }));
  const common = {
    artifacts: [{ name: "m.json", bytes: new TextEncoder().encode("{}") }],
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: "2020-01-01" },
    timeUnit: "week",
    trainedAt: "2026-11-30T00:00:00Z",
  };
  const v1 = await registry.registerVersion("cli", { ...common, customerFeatures: rows });
  const v2 = await registry.registerVersion("cli", { ...common, customerFeatures: rows });
  const lines: string[] = [];
  const gone = await forgetInChunks(t.handle.db, ids.slice(0, 7), (l) => lines.push(l), 3);
  expect(gone).toEqual({
    versionIds: [v1.id, v2.id],
    versions: [
      { model: "cli", version: 1 },
      { model: "cli", version: 2 },
    ],
    storedRows: 14,
    decisions: 0,
    deadLetters: 0,
  });
  expect(lines).toEqual([
    "forgot customers 1-3 of 7",
    "forgot customers 4-6 of 7",
    "forgot customers 7-7 of 7",
  ]);
  const left = await new CustomerFeaturesRepository(t.handle.db).get(v2.id, ids);
  expect([...left.keys()].sort()).toEqual(["k7", "k8", "k9"]);
});

test("--republish: an unknown target erases nothing; a failed republish says the erasure is done", async () => {
  const restore = saveDatabaseEnv();
  process.env.DATA_DIR = t.options.dataDir as string;
  process.env.DATABASE_URL = "";
  try {
    // The versions of the test above: k8 is stored under both.
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "store")));
    const v1 = await registry.getVersion("cli", 1);
    if (!v1) throw new Error("no version cli 1");
    const features = new CustomerFeaturesRepository(t.handle.db);
    const stored = async (id: string) => (await features.get(v1.id, [id])).size;
    expect(await stored("k8")).toBe(1);
    const refused = await runCliCaptured(["forget", "k8", "--republish", "aws"]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('--republish: only "cloudflare" is supported (got "aws")');
    expect(await stored("k8")).toBe(1);

    const missing = join(dir, "no-such-wrangler.toml");
    const failed = await runCliCaptured([
      "forget",
      "k8",
      "--republish",
      "cloudflare",
      "--local",
      "--config",
      missing,
    ]);
    expect(failed.code).not.toBe(0);
    expect(failed.out).toContain("forgot 1 customer(s): 2 stored row(s) under 2 model version(s)");
    expect(failed.err).toContain(
      "the customers are erased from the database, but republishing cli failed (exit 1)",
    );
    expect(await stored("k8")).toBe(0);
  } finally {
    restore();
  }
}, 120_000);
