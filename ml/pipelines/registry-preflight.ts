// Before a training that ends in --register: the registry's database answers (and is migrated)
// and its artifact store takes a write, so a wrong DATABASE_URL or ARTIFACT_STORE_URI is said at
// once instead of after the training (minutes on a large log).
import { ArtifactWriteError } from "@pp/shared/artifacts/artifact-store.ts";
import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { PREFLIGHT_PREFIX } from "@pp/shared/registry/artifact-gc.ts";
import { openRegistryFromEnv } from "./open-registry.ts";

type Env = Record<string, string | undefined>;

/** The artifact store refused a write: where it is and why, and what to set instead. */
export class ArtifactStoreInputError extends Error {
  override readonly name = "ArtifactStoreInputError";
}

/** Opens and closes the registry, then writes and deletes a probe object in its store. */
export async function checkRegistryBeforeTraining(env: Env): Promise<void> {
  const opened = await openRegistryFromEnv(env);
  await opened.close();
  const location = artifactStoreLocationFromEnv(env);
  const store = openArtifactStore(location, env);
  // A kill -9 between the put and the delete leaves the probe: `ml gc` lists it.
  const key = `${PREFLIGHT_PREFIX}${crypto.randomUUID()}`;
  try {
    await store.put(key, new TextEncoder().encode("registry preflight\n"));
    await store.delete(key);
  } catch (error) {
    // The store's own error names the probe's file; the cause says why.
    const cause = error instanceof ArtifactWriteError ? error.cause : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ArtifactStoreInputError(
      `the artifact store ${location} (ARTIFACT_STORE_URI, default DATA_DIR/artifacts) cannot be written: ${why}; point it at a writable directory or s3://bucket/prefix`,
    );
  }
}
