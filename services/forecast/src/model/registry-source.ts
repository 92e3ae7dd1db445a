// Loads the production version of a model from the registry: every artifact the service uses is
// read through `loadArtifact`, which checks its sha256, and the customers' stored summaries and
// feature vectors are read in pages into the in-memory index.

import { FEATURE_COUNT } from "@pp/ml/features/feature-vector.ts";
import { ArtifactNotFoundError } from "@pp/shared/artifacts/artifact-store.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { outwardDriverMessage } from "@pp/shared/errors/driver-message.ts";
import { readAllCustomerFeatures } from "@pp/shared/registry/customer-features.ts";
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { ArtifactChecksumError } from "@pp/shared/registry/registry-errors.ts";
import { type CustomerFeatureRowLike, customerIndexFromRows } from "./customer-index.ts";
import { SERVED_FILES } from "./exported-bundle.ts";
import type { ModelIdentity } from "./loaded-model.ts";
import { ModelLoadError } from "./model-load-error.ts";

export interface RawModel {
  identity: ModelIdentity;
  files: Map<string, Uint8Array>;
  customerRows: CustomerFeatureRowLike[];
}

function identityOf(version: ModelVersionInfo, source: string): ModelIdentity {
  const window = version.dataWindow as {
    calibrationStart?: string;
    calibrationEnd: string;
    holdoutEnd?: string;
  };
  return {
    name: version.modelName,
    version: version.version,
    stage: version.stage,
    trainedAt: new Date(version.trainedAt).toISOString(),
    artifactSha256: version.artifactSha256,
    dataWindow: {
      ...(window.calibrationStart ? { calibration_start: window.calibrationStart } : {}),
      calibration_end: window.calibrationEnd ?? version.calibrationEnd,
      holdout_end: window.holdoutEnd ?? version.holdoutEnd ?? null,
    },
    metrics: version.metrics,
    source,
  };
}

/** Reads (and checksum-verifies) the files of `version`; throws ModelLoadError. */
export async function readRegistryVersion(
  registry: ModelRegistry,
  db: Database,
  version: ModelVersionInfo,
  source: string,
): Promise<RawModel> {
  const files = new Map<string, Uint8Array>();
  const label = `${version.modelName} v${version.version}`;
  for (const name of SERVED_FILES) {
    if (!version.artifacts.some((a) => a.name === name)) continue;
    try {
      files.set(name, await registry.loadArtifact(version, name));
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      const reason = cause instanceof ArtifactChecksumError ? "checksum" : "unavailable";
      throw new ModelLoadError(reason, `${label}: ${why}`, { cause });
    }
  }
  let customerRows: CustomerFeatureRowLike[];
  try {
    customerRows = await readAllCustomerFeatures(db, version.id);
  } catch (cause) {
    throw new ModelLoadError("unavailable", `${label}: reading customer features failed`, {
      cause,
    });
  }
  return { identity: identityOf(version, source), files, customerRows };
}

/**
 * The production version of `name` and its files. `ml forget` rewrites a version's metrics.json
 * under a new revision, switches the row, then deletes the replaced files: a load that read the
 * row just before a switch finds a file gone. It reads the row again, once, and loads what that
 * names (the rewritten revision); a file missing from the row it just read is a real failure.
 */
export async function readProductionVersion(
  registry: ModelRegistry,
  db: Database,
  name: string,
  source: string,
): Promise<{ version: ModelVersionInfo; raw: RawModel }> {
  const version = await productionVersion(registry, name);
  try {
    return { version, raw: await readRegistryVersion(registry, db, version, source) };
  } catch (error) {
    const gone = error instanceof ModelLoadError && error.cause instanceof ArtifactNotFoundError;
    if (!gone) throw error;
    const now = await productionVersion(registry, name);
    if (now.id === version.id && now.artifactSha256 === version.artifactSha256) throw error;
    return { version: now, raw: await readRegistryVersion(registry, db, now, source) };
  }
}

/** The production version of `name`, or a ModelLoadError("unavailable") when there is none. */
export async function productionVersion(
  registry: ModelRegistry,
  name: string,
): Promise<ModelVersionInfo> {
  let version: ModelVersionInfo | null;
  try {
    version = await registry.getProductionVersion(name);
  } catch (cause) {
    // The driver's own words (connection refused…): drizzle's wrapper is the query's 1 KB of SQL.
    throw new ModelLoadError(
      "unavailable",
      `registry unreachable: ${outwardDriverMessage(cause)}`,
      {
        cause,
      },
    );
  }
  if (!version)
    throw new ModelLoadError("unavailable", `model "${name}" has no production version`);
  return version;
}

export function customerIndexOf(raw: RawModel) {
  try {
    return customerIndexFromRows(raw.customerRows, FEATURE_COUNT);
  } catch (cause) {
    throw new ModelLoadError("invalid", (cause as Error).message, { cause });
  }
}
