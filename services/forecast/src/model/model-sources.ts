// The two kinds of model source the holder polls: the registry's production version, and an
// exported bundle read through a callback (directory, URL or compiled-in Worker data modules).

import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import type { Database } from "@pp/shared/db/database.ts";
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { BUNDLE_INDEX, decodeBundle } from "./exported-bundle.ts";
import type { GbdtEngine } from "./gbdt-engine.ts";
import { assembleModel } from "./loaded-model.ts";
import type { ModelSource } from "./model-holder.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { customerIndexOf, productionVersion, readProductionVersion } from "./registry-source.ts";

export function registryModelSource(options: {
  registry: ModelRegistry;
  db: Database;
  modelName: string;
  engine: GbdtEngine;
  /** e.g. "pglite" or "postgres", for logs. */
  driver: string;
}): ModelSource {
  const { registry, db, modelName, engine } = options;
  const description = `registry (${options.driver})`;
  return {
    description,
    async currentKey() {
      return versionKey(await productionVersion(registry, modelName));
    },
    async load() {
      const { version, raw } = await readProductionVersion(registry, db, modelName, description);
      const model = await assembleModel(
        { identity: raw.identity, files: raw.files, customers: customerIndexOf(raw) },
        engine,
      );
      return { key: versionKey(version), model };
    },
  };
}

/**
 * A version changes when promoted (id), re-registered (checksum) or its customers are erased: the
 * holder reloads on it, and `ml publish --follow` republishes on it.
 */
export function versionKey(v: ModelVersionInfo): string {
  return `${v.id}:${v.artifactSha256}:${v.customersRevision}`;
}

export function bundleModelSource(options: {
  read: (name: string) => Promise<Uint8Array>;
  description: string;
  engine: GbdtEngine;
  /** The isolate's memory limit on Workers (decodeBundle refuses a bundle too big for it). */
  memoryLimitMb?: number;
}): ModelSource {
  const { read, description, engine } = options;
  const limit = options.memoryLimitMb === undefined ? {} : { memoryLimitMb: options.memoryLimitMb };
  return {
    description,
    async currentKey() {
      try {
        return await sha256Hex(await read(BUNDLE_INDEX));
      } catch (cause) {
        throw new ModelLoadError("unavailable", `${description}: ${String(cause)}`, { cause });
      }
    },
    async load() {
      const key = await this.currentKey();
      const input = await decodeBundle(read, description, limit);
      return { key, model: await assembleModel(input, engine) };
    },
  };
}

/** Reads bundle files over HTTP from `baseUrl` (`<baseUrl>/<file>`). */
export function urlReader(baseUrl: string, fetchImpl: typeof fetch = fetch) {
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  return async (name: string): Promise<Uint8Array> => {
    const res = await fetchImpl(new URL(name, base), { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${base}${name} answered ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}
