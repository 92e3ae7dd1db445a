// `ml score` of a version whose every stored customer was erased (`ml forget`): the output holds
// the header alone, and a line says why. It printed "scored 0 customers" and wrote a header-only
// file with nothing said: a nightly job read it as a failed run, or as no customers to contact.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { ensureDemoModel } from "../pipelines/demo-model.ts";
import { runScore } from "./run-score.ts";

let dir: string;
let handle: DatabaseHandle;
let registry: ModelRegistry;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-score-forgotten-"));
  handle = await createDatabase({ dataDir: join(dir, "db") });
  await handle.migrate();
  registry = new ModelRegistry(handle.db, new FileArtifactStore(join(dir, "artifacts")));
  await ensureDemoModel({ registry, modelName: "demo", customers: 200, seed: 3 });
}, 180_000);
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

const score = async (out: string) => {
  const lines: string[] = [];
  const result = await runScore({
    model: "demo",
    out,
    horizon: "52w",
    discountRate: 0,
    env: { DATA_DIR: join(dir, "db"), ARTIFACT_STORE_URI: join(dir, "artifacts") },
    print: (line) => lines.push(line),
    progress: false,
  });
  return { result, lines };
};

test("a version whose customers were all forgotten: the header-only output is explained", async () => {
  const before = await score(join(dir, "before.csv"));
  expect(before.result.rows).toBe(200);
  expect(before.lines.filter((l) => l.includes("no stored customers"))).toEqual([]);
  const version = await registry.getProductionVersion("demo");
  const ids = (await readAllCustomerFeatures(handle.db, version?.id ?? 0)).map((r) => r.customerId);
  await forgetCustomers(handle.db, ids);
  const out = join(dir, "after.csv");
  const after = await score(out);
  expect(after.result.rows).toBe(0);
  expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(1); // the header
  expect(after.lines).toContainEqual(
    expect.stringContaining("demo v1 has no stored customers left: every one was erased"),
  );
}, 120_000);
