// The production model on Cloudflare Workers: the KV namespace MODEL_POINTER names the version to
// serve per model name, and the R2 bucket MODEL_ARTIFACTS holds each version's exported bundle
// under `<model>/<version>/<slot>/<file>` (bundle.json lists every file's sha256; pointers written
// before slots name `<model>/<version>/<file>`). A publish writes the slot the pointer does not
// name and flips the pointer last (publish-bundle.ts), so a reader never sees a pointer to a
// half-written bundle, even when the same version is published again. Every file is
// checksum-verified by decodeBundle; a missing or corrupt file fails the load and the holder keeps
// serving the version it has.
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { BUNDLE_INDEX, decodeBundle } from "./exported-bundle.ts";
import type { GbdtEngine } from "./gbdt-engine.ts";
import { assembleModel } from "./loaded-model.ts";
import type { ModelSource } from "./model-holder.ts";
import { ModelLoadError } from "./model-load-error.ts";

/** The parts of a Workers KV namespace and R2 bucket used here (and by the tests' fakes). */
export interface PointerStore {
  get(key: string): Promise<string | null>;
}
export interface ArtifactBucket {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

/** The two places a version's bundle can be published to; the pointer names the one served. */
export const BUNDLE_SLOTS = ["a", "b"] as const;
export type BundleSlot = (typeof BUNDLE_SLOTS)[number];

/** What MODEL_POINTER holds under a model's name. */
export interface ModelPointer {
  version: number;
  /** sha256 of the version's bundle.json, when the publisher recorded it. */
  bundle_sha256?: string;
  /** The slot holding the bundle; absent in pointers written before slots (files under the version). */
  slot?: BundleSlot;
}

/** Parses a pointer value: `{"version":3,"bundle_sha256":"…","slot":"a"}` or just `3`. */
export function parsePointer(raw: string): ModelPointer | null {
  const read = readPointerValue(raw);
  return "problem" in read ? null : read;
}

/** Versions are the registry's int4 column: 1e308 was taken for one (an R2 key "…/1e+308/…"). */
const MAX_VERSION = 2_147_483_647;

/** A pointer value read, or what is wrong with it (for the message naming the KV entry). */
function readPointerValue(raw: string): ModelPointer | { problem: string } {
  const text = raw.trim();
  if (/^[1-9][0-9]{0,8}$/.test(text)) return { version: Number(text) };
  let value: Partial<ModelPointer>;
  try {
    value = JSON.parse(text) as Partial<ModelPointer>;
  } catch {
    return { problem: "neither a version number nor a JSON pointer" };
  }
  if (typeof value !== "object" || value === null) return { problem: "not a JSON object" };
  const { version, bundle_sha256: sha, slot } = value;
  if (!Number.isInteger(version) || (version as number) < 1 || (version as number) > MAX_VERSION) {
    return { problem: `"version" is not a whole number from 1 to ${MAX_VERSION}` };
  }
  if (sha !== undefined && !/^[0-9a-f]{64}$/.test(String(sha))) {
    return { problem: `"bundle_sha256" is not 64 lower-case hex digits` };
  }
  if (slot !== undefined && !BUNDLE_SLOTS.includes(slot)) {
    return { problem: `"slot" is not one of ${BUNDLE_SLOTS.join(", ")}` };
  }
  return {
    version: version as number,
    ...(sha ? { bundle_sha256: sha } : {}),
    ...(slot ? { slot } : {}),
  };
}

/** The R2 key of a bundle file: in a slot, or directly under the version (pointers before slots). */
export function artifactKey(
  model: string,
  version: number,
  file: string,
  slot?: BundleSlot,
): string {
  return slot ? `${model}/${version}/${slot}/${file}` : `${model}/${version}/${file}`;
}

export function r2ModelSource(options: {
  pointer: PointerStore;
  bucket: ArtifactBucket;
  modelName: string;
  engine: GbdtEngine;
  /** Served while the pointer has no entry for the model (the build's bundled model), if any. */
  fallback?: ModelSource;
  /** The isolate's memory limit (decodeBundle refuses a bundle too big for it). */
  memoryLimitMb?: number;
}): ModelSource {
  const { pointer, bucket, modelName, engine, fallback } = options;
  const limit = options.memoryLimitMb === undefined ? {} : { memoryLimitMb: options.memoryLimitMb };
  const description = `r2 (KV pointer "${modelName}")`;
  // The last version loaded from R2: once one has been served, a pointer gone missing (a key
  // deleted, a namespace recreated or misnamed) is a failure, never a return to the build's older
  // bundled model (it swapped figures silently, /ready "ready").
  let servedVersion: number | null = null;
  let onFallback = false;
  const publishHint = "publish a version with `npm run ml -- publish --target cloudflare`";

  async function current(): Promise<ModelPointer | null> {
    let raw: string | null;
    try {
      raw = await pointer.get(modelName);
    } catch (cause) {
      throw new ModelLoadError("unavailable", `KV MODEL_POINTER: ${String(cause)}`, { cause });
    }
    if (raw === null) {
      if (servedVersion !== null) {
        throw new ModelLoadError(
          "unavailable",
          `KV MODEL_POINTER has no entry "${modelName}" any more (it named v${servedVersion}, ` +
            `which keeps serving): ${publishHint}`,
        );
      }
      if (fallback) return null;
      throw new ModelLoadError(
        "unavailable",
        `KV MODEL_POINTER has no entry "${modelName}": ${publishHint}`,
      );
    }
    const parsed = readPointerValue(raw);
    if ("problem" in parsed) {
      throw new ModelLoadError(
        "invalid",
        `KV MODEL_POINTER "${modelName}" holds ${JSON.stringify(raw.slice(0, 200))}, not a version: ${parsed.problem}`,
      );
    }
    return parsed;
  }

  const keyOf = (p: ModelPointer) => `r2:${modelName}/${p.version}:${p.bundle_sha256 ?? ""}`;

  return {
    description,
    async currentKey() {
      const p = await current();
      return p ? keyOf(p) : `fallback:${await (fallback as ModelSource).currentKey()}`;
    },
    async load() {
      const p = await current();
      if (!p) {
        const loaded = await (fallback as ModelSource).load();
        onFallback = true;
        return { key: `fallback:${loaded.key}`, model: loaded.model };
      }
      const where = `r2:${modelName}/${p.version}`;
      const read = async (file: string): Promise<Uint8Array> => {
        const key = artifactKey(modelName, p.version, file, p.slot);
        const object = await bucket.get(key);
        if (!object) throw new Error(`no object ${key}`);
        const bytes = new Uint8Array(await object.arrayBuffer());
        if (file === BUNDLE_INDEX && p.bundle_sha256) {
          const actual = await sha256Hex(bytes);
          if (actual !== p.bundle_sha256) {
            throw new ModelLoadError(
              "checksum",
              `${where}: ${BUNDLE_INDEX} hashes to ${actual}, the pointer records ${p.bundle_sha256}`,
            );
          }
        }
        return bytes;
      };
      let input: Awaited<ReturnType<typeof decodeBundle>>;
      try {
        input = await decodeBundle(read, where, limit);
      } catch (err) {
        // decodeBundle wraps read errors; surface a checksum failure of bundle.json as such.
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof ModelLoadError) throw cause;
        throw err;
      }
      const { name, version } = input.identity;
      if (name !== modelName || version !== p.version) {
        throw new ModelLoadError(
          "invalid",
          `${where}: ${BUNDLE_INDEX} describes ${name} v${version}, not ${modelName} v${p.version}`,
        );
      }
      const model = await assembleModel(input, engine);
      servedVersion = p.version;
      onFallback = false;
      return { key: keyOf(p), model };
    },
    degradedReason: () =>
      onFallback
        ? `serving the build's bundled model: KV MODEL_POINTER has no entry "${modelName}"; ${publishHint}`
        : null,
  };
}
