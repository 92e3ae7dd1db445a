// Picks the artifact store implementation for a location URI: `file://` (or a plain path) today;
// other schemes (s3://) fail with a clear message until their implementation lands.

import { resolve } from "node:path";
import type { ArtifactStore } from "./artifact-store.ts";
import { FileArtifactStore } from "./file-artifact-store.ts";

/** Opens the store at `location`: a `file://` URI or a directory path. */
export function openArtifactStore(location: string): ArtifactStore {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === "file") return new FileArtifactStore(location);
  throw new Error(
    `artifact store scheme "${scheme}://" is not supported yet (location ${location}); use file://`,
  );
}

/** `ARTIFACT_STORE_URI`, else `<DATA_DIR or ./.data>/artifacts`. */
export function artifactStoreLocationFromEnv(
  env: Record<string, string | undefined> = process.env,
): string {
  const explicit = env.ARTIFACT_STORE_URI?.trim();
  if (explicit) return explicit;
  return resolve(env.DATA_DIR?.trim() || "./.data", "artifacts");
}
