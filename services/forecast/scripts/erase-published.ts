// After `ml forget` (its --republish, run as `publish-model.ts NAME --erased 2,3`): takes erased
// customers out of what the forecast Workers read. The version the KV pointer names, when it held
// them, is published again (into its other slot, a new bundle_sha256 in the pointer, so running
// Workers reload it; then the old copy is deleted); the R2 bundles of the other versions that held
// them are deleted (the registry keeps every version: `ml publish NAME V` puts one back, without
// them). Interrupted, it is safe to run again with the same versions.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "@pp/shared/db/database.ts";
import type { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { withPublishLease } from "@pp/shared/registry/publish-leases.ts";
import { BUNDLE_INDEX, bundleIdentity } from "../src/model/exported-bundle.ts";
import { bundleKeys } from "../src/model/publish-bundle.ts";
import { defaultWorkerModelDir, exportBundleFiles, writeBundleDir } from "./export-bundle.ts";
import {
  leaseOptions,
  type PublishOptions,
  type PublishWhere,
  persistDir,
  publishVersion,
  runLocalScript,
  withRegistry,
  wranglerConfig,
  wranglerTarget,
} from "./publish-model.ts";
import { readPointer } from "./workers-pointer.ts";

/** Deletes these R2 keys; resolves to how many were there (remote: how many were asked). */
async function deleteObjects(keys: string[], where: PublishWhere): Promise<number> {
  const config = wranglerConfig(where);
  if (where.local) {
    const args = [config, persistDir(where), "delete", ...keys];
    return (
      JSON.parse(await runLocalScript("cloudflare-local-state.ts", args)) as {
        deleted: number;
      }
    ).deleted;
  }
  const { bucket } = wranglerTarget(config);
  for (const key of keys) await bucket.delete(key);
  return keys.length;
}

/**
 * Republishes the served version when it is one of `versions` and deletes the R2 bundles of the
 * others. Resolves to what was done, per version.
 */
export function eraseFromWorkers(
  options: PublishOptions & { versions: readonly number[] },
  print: (line: string) => void = console.log,
): Promise<{ republished: number | null; deleted: Record<number, number> }> {
  // The whole step under the model's publish lease: a publisher of one of these versions running
  // meanwhile could flip the pointer to a bundle deleted here.
  return withRegistry((registry, db) =>
    withPublishLease(
      db,
      options.name,
      () => eraseUnderLease(registry, db, options, print),
      leaseOptions(options, print),
    ),
  );
}

async function eraseUnderLease(
  registry: ModelRegistry,
  db: Database,
  options: PublishOptions & { versions: readonly number[] },
  print: (line: string) => void,
): Promise<{ republished: number | null; deleted: Record<number, number> }> {
  const { name, versions } = options;
  const pointer = await readPointer(name, options);
  const served = pointer && versions.includes(pointer.version) ? pointer.version : null;
  if (served === null) {
    const serving = pointer ? `v${pointer.version}` : "no published version";
    print(`${name}: the Workers serve ${serving}: nothing to republish`);
  } else {
    await publishVersion(registry, db, { ...options, version: served }, (line) =>
      print(`re${line} (it held erased customers)`),
    );
  }
  const deleted: Record<number, number> = {};
  for (const version of versions.filter((v) => v !== served)) {
    deleted[version] = await deleteObjects(bundleKeys(name, version), options);
    print(
      `${name} v${version}: deleted ${deleted[version]} bundle file(s) from R2 (it held erased customers; not served)`,
    );
  }
  await reexportBundledBuild(registry, db, options, print);
  return { republished: served, deleted };
}

/**
 * The model a bundled Workers build compiles in (worker-model/, written by the build step) is a
 * copy outside R2: when it is one of the erased versions it is exported again without them, and a
 * deployed bundled Worker (wrangler.lite.toml, MODEL_SOURCE=bundled) needs deploying again. It
 * kept serving an erased customer's summary, and nothing said so.
 */
export async function reexportBundledBuild(
  registry: ModelRegistry,
  db: Database,
  options: PublishOptions & { versions: readonly number[] },
  print: (line: string) => void,
  dir = defaultWorkerModelDir,
): Promise<void> {
  const index = await readFile(join(dir, BUNDLE_INDEX)).catch(() => null); // none exported here
  const built = index ? bundleIdentity(index) : null;
  if (!built || built.name !== options.name || !options.versions.includes(built.version)) return;
  writeBundleDir(await exportBundleFiles(registry, db, options.name, built.version), dir);
  print(
    `${options.name} v${built.version}: exported again without the erased customers into ${dir} (the bundled Workers build); ` +
      "a Worker deployed with its model bundled (wrangler.lite.toml, MODEL_SOURCE=bundled) serves them until deployed again: npx wrangler deploy -c wrangler.lite.toml",
  );
}
