// Opens the model registry the CLI and the demo model use: the database from DATABASE_URL, else
// PGlite in DATA_DIR (default ./.data), and the artifact store from ARTIFACT_STORE_URI, else
// <DATA_DIR>/artifacts. Migrations are applied on open.

import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { createDatabase, databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";

export interface OpenRegistry {
  registry: ModelRegistry;
  /** The registry's database (for bulk reads such as `ml score`'s customer pages). */
  db: Database;
  driver: string;
  close(): Promise<void>;
}

export async function openRegistryFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<OpenRegistry> {
  // The store first: a bad ARTIFACT_STORE_URI is refused before a database is opened (after it,
  // the error left the embedded store's server open and the command never exited).
  const store = openArtifactStore(artifactStoreLocationFromEnv(env), env);
  const handle = await createDatabase(databaseOptionsFromEnv(env));
  try {
    await handle.migrate();
  } catch (error) {
    await handle.close();
    throw error;
  }
  return {
    registry: new ModelRegistry(handle.db, store),
    db: handle.db,
    driver: handle.driver,
    close: () => handle.close(),
  };
}
