// The exported bundle: a model version as plain files (for Workers, `MODEL_SOURCE=bundle:<dir>` and
// `url:<base>`): the registry's files, the customers (ids + summaries as JSON, feature vectors as
// little-endian float32) and bundle.json, which records who the model is and every file's sha256.
// Runtime-neutral: reading goes through a callback (files, fetch or compiled-in data modules).

import { BUNDLE_FILES } from "@pp/ml/bundle/model-bundle.ts";
import { FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import * as z from "zod";
import { CustomerIndex } from "./customer-index.ts";
import type { ModelFilesInput } from "./loaded-model.ts";
import { ModelLoadError } from "./model-load-error.ts";
import type { RawModel } from "./registry-source.ts";
import { workerMemoryProblem } from "./worker-memory.ts";

export const BUNDLE_INDEX = "bundle.json";
export const CUSTOMERS_FILE = "customers.json";
export const CUSTOMER_FEATURES_FILE = "customer_features.f32";
const EXPORTED_BUNDLE_FORMAT = "pp-forecast-bundle/1";

/** The registry files the service reads (report.html is not needed to forecast). */
export const SERVED_FILES = [
  BUNDLE_FILES.manifest,
  BUNDLE_FILES.gbdtCount,
  BUNDLE_FILES.gbdtPurchase,
  BUNDLE_FILES.gbdtSpend,
  BUNDLE_FILES.metrics,
] as const;

/**
 * Every file an exported bundle may hold (encodeBundle's): deleting a published bundle deletes
 * these names; one a bundle does not hold is simply absent, so nothing needs listing.
 */
export const BUNDLE_FILE_NAMES: readonly string[] = [
  ...SERVED_FILES,
  CUSTOMERS_FILE,
  CUSTOMER_FEATURES_FILE,
  BUNDLE_INDEX,
];

const identitySchema = z.object({
  name: z.string(),
  version: z.number().int(),
  stage: z.string(),
  trainedAt: z.string(),
  artifactSha256: z.string(),
  dataWindow: z.object({
    calibration_start: z.string().optional(),
    calibration_end: z.string(),
    holdout_end: z.string().nullable(),
  }),
  metrics: z.record(z.string(), z.number()),
  source: z.string(),
});

const bundleIndexSchema = z.object({
  format: z.literal(EXPORTED_BUNDLE_FORMAT),
  identity: identitySchema,
  files: z.array(
    z.object({
      name: z.string().regex(/^[A-Za-z0-9._-]+$/),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      bytes: z.number().int().nonnegative(),
    }),
  ),
});

const customersSchema = z.object({
  ids: z.array(z.string()),
  x: z.array(z.number()),
  t_x: z.array(z.number()),
  T: z.array(z.number()),
  monetary: z.array(z.number()),
  feature_count: z.number().int().nonnegative(),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The files of an exported bundle (bundle.json included), from a model read off the registry. */
export async function encodeBundle(raw: RawModel): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>(raw.files);
  const rows = raw.customerRows;
  const withFeatures = rows.length > 0 && rows.every((r) => r.features.length === FEATURE_COUNT);
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  files.set(
    CUSTOMERS_FILE,
    encoder.encode(
      JSON.stringify({
        ids: rows.map((r) => r.customerId),
        x: rows.map((r) => num(r.summary.x)),
        t_x: rows.map((r) => num(r.summary.t_x)),
        T: rows.map((r) => num(r.summary.T)),
        monetary: rows.map((r) => num(r.summary.monetary)),
        feature_count: withFeatures ? FEATURE_COUNT : 0,
      }),
    ),
  );
  if (withFeatures) {
    const features = new Float32Array(rows.length * FEATURE_COUNT);
    rows.forEach((r, i) => {
      for (let j = 0; j < FEATURE_COUNT; j++)
        features[i * FEATURE_COUNT + j] = r.features[j] ?? Number.NaN;
    });
    files.set(CUSTOMER_FEATURES_FILE, new Uint8Array(features.buffer));
  }
  const entries = [];
  for (const [name, bytes] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    entries.push({ name, sha256: await sha256Hex(bytes), bytes: bytes.length });
  }
  const index = { format: EXPORTED_BUNDLE_FORMAT, identity: raw.identity, files: entries };
  files.set(BUNDLE_INDEX, encoder.encode(`${JSON.stringify(index, null, 2)}\n`));
  return files;
}

/**
 * Reads an exported bundle through `read(name)`, verifying every file against bundle.json's
 * sha256 (a mismatch is a "checksum" failure), and builds the customer index. With
 * `memoryLimitMb` (Workers), a bundle too big for an isolate that size is refused before its
 * files are read: past the limit the isolate is killed mid-load and every request fails.
 */
export async function decodeBundle(
  read: (name: string) => Promise<Uint8Array>,
  source: string,
  options: { memoryLimitMb?: number } = {},
): Promise<ModelFilesInput> {
  let indexBytes: Uint8Array;
  try {
    indexBytes = await read(BUNDLE_INDEX);
  } catch (cause) {
    throw new ModelLoadError(
      "unavailable",
      `${source}: cannot read ${BUNDLE_INDEX}: ${String(cause)}`,
      {
        cause,
      },
    );
  }
  const parsed = bundleIndexSchema.safeParse(safeJson(indexBytes));
  if (!parsed.success) {
    throw new ModelLoadError("invalid", `${source}: ${BUNDLE_INDEX} is not a bundle index`);
  }
  refuseIfTooBig(parsed.data.files, source, options.memoryLimitMb);
  const files = new Map<string, Uint8Array>();
  for (const entry of parsed.data.files) {
    let bytes: Uint8Array;
    try {
      bytes = await read(entry.name);
    } catch (cause) {
      throw new ModelLoadError("unavailable", `${source}: cannot read ${entry.name}`, { cause });
    }
    const actual = await sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new ModelLoadError(
        "checksum",
        `${source}: checksum mismatch for ${entry.name}: bundle.json records sha256 ${entry.sha256} ` +
          `but the file hashes to ${actual}; refusing to load it`,
      );
    }
    files.set(entry.name, bytes);
  }
  const customers = customerIndexFromBundle(files, source);
  files.delete(CUSTOMERS_FILE);
  files.delete(CUSTOMER_FEATURES_FILE);
  const { identity } = parsed.data;
  return {
    identity: { ...identity, stage: servedStage(identity.stage), source },
    files,
    customers,
  };
}

/**
 * The stage a bundle-served model reports: bundle.json records the registry's stage at export,
 * and a version published on purpose while not production (a rollback on the Workers to an
 * archived version) reported "archived" while it answered every /forecast. It is "published";
 * the registry's later stage changes are not seen by a Worker (README, Cloudflare Workers).
 */
function servedStage(exportedStage: string): string {
  return exportedStage === "production" ? "production" : "published";
}

function refuseIfTooBig(
  files: Array<{ name: string; bytes: number }>,
  source: string,
  limitMb: number | undefined,
): void {
  const problem = limitMb === undefined ? null : workerMemoryProblem(files, limitMb);
  if (!problem) return;
  throw new ModelLoadError(
    "invalid",
    `${source}: not loaded: ${problem} (WORKER_MEMORY_LIMIT_MB=${limitMb}); publish it with ` +
      "`ml publish --target cloudflare --without-customers`",
  );
}

/** The model name and version a bundle index (bundle.json's bytes) names; null when it is none. */
export function bundleIdentity(indexBytes: Uint8Array): { name: string; version: number } | null {
  const parsed = bundleIndexSchema.safeParse(safeJson(indexBytes));
  if (!parsed.success) return null;
  const { name, version } = parsed.data.identity;
  return { name, version };
}

function safeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

function customerIndexFromBundle(files: Map<string, Uint8Array>, source: string): CustomerIndex {
  const json = files.get(CUSTOMERS_FILE);
  if (!json) return CustomerIndex.empty(FEATURE_COUNT);
  const parsed = customersSchema.safeParse(safeJson(json));
  if (!parsed.success)
    throw new ModelLoadError("invalid", `${source}: ${CUSTOMERS_FILE} is malformed`);
  const c = parsed.data;
  let features: Float32Array | null = null;
  const raw = files.get(CUSTOMER_FEATURES_FILE);
  if (c.feature_count > 0 && raw) {
    // Copy: the bytes may not be 4-byte aligned inside their buffer.
    features = new Float32Array(raw.slice().buffer);
  }
  try {
    return new CustomerIndex({
      ids: c.ids,
      x: Float64Array.from(c.x),
      tx: Float64Array.from(c.t_x),
      T: Float64Array.from(c.T),
      monetary: Float64Array.from(c.monetary),
      features,
      featureCount: FEATURE_COUNT,
    });
  } catch (cause) {
    throw new ModelLoadError("invalid", `${source}: ${(cause as Error).message}`, { cause });
  }
}
