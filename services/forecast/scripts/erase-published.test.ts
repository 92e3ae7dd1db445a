// The bundled Workers build (worker-model/, compiled into wrangler.lite.toml's Worker) after an
// erasure: the version it holds is exported again without the erased customers, and a build of
// another version is left as it is. It kept serving an erased customer's stored summary.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "@pp/ml/pipelines/demo-model.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { reexportBundledBuild } from "./erase-published.ts";
import { exportBundleFiles, writeBundleDir } from "./export-bundle.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-bundled-build-"));
let db: TestDatabase;
let registry: ModelRegistry;

beforeAll(async () => {
  db = await openTestDatabase("pglite");
  registry = new ModelRegistry(db.handle.db, new FileArtifactStore(join(scratch, "artifacts")));
  await ensureDemoModel({ registry, modelName: "purchase", customers: 200, seed: 5 });
}, 120_000);

afterAll(async () => {
  await db?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** Every file of the build directory as text: an id in any of them is a copy of it. */
const buildText = (dir: string) =>
  ["customers.json", "bundle.json"].map((f) => readFileSync(join(dir, f), "utf8")).join("\n");

test("the bundled build of an erased version is exported again without them; another is left", async () => {
  const production = await registry.getProductionVersion("purchase");
  if (!production) throw new Error("no production version");
  const rows = await readAllCustomerFeatures(db.handle.db, production.id);
  const [gone, kept] = rows.map((r) => r.customerId);
  if (!gone || !kept) throw new Error("too few stored customers");
  const dir = join(scratch, "worker-model");
  writeBundleDir(await exportBundleFiles(registry, db.handle.db, "purchase"), dir);
  expect(buildText(dir)).toContain(`"${gone}"`);

  await forgetCustomers(db.handle.db, [gone]);
  const lines: string[] = [];
  const options = { name: "purchase", target: "cloudflare" as const, local: true };
  // Another version's erasure leaves this build as it is.
  await reexportBundledBuild(
    registry,
    db.handle.db,
    { ...options, versions: [99] },
    (l) => lines.push(l),
    dir,
  );
  expect(lines).toEqual([]);
  expect(buildText(dir)).toContain(`"${gone}"`);

  await reexportBundledBuild(
    registry,
    db.handle.db,
    { ...options, versions: [production.version] },
    (l) => lines.push(l),
    dir,
  );
  expect(buildText(dir)).not.toContain(`"${gone}"`);
  expect(buildText(dir)).toContain(`"${kept}"`);
  expect(lines.join("\n")).toContain("npx wrangler deploy -c wrangler.lite.toml");
}, 60_000);
