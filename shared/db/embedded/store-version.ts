// Which PostgreSQL major the embedded store's files were made by. A PGlite whose PostgreSQL major
// differs cannot open them (it fails with "PGlite failed to initialize properly" and a stack), so a
// DATA_DIR kept across an upgrade that changed it is refused in one line that names both versions.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The PostgreSQL major of the installed PGlite (store-version.test.ts checks it on a new store). */
export const EMBEDDED_PG_MAJOR = "18";

class StoreVersionError extends Error {
  override readonly name = "StoreVersionError";
}

/** The major a PGlite directory's files were made by, or null for a new (empty) directory. */
function storeMajor(pgliteDir: string): string | null {
  try {
    return readFileSync(join(pgliteDir, "PG_VERSION"), "utf8").trim();
  } catch {
    return null;
  }
}

/** Refuses a directory made by another PostgreSQL major, before PGlite touches it. */
export function checkStoreVersion(pgliteDir: string): void {
  const found = storeMajor(pgliteDir);
  if (found === null || found === EMBEDDED_PG_MAJOR) return;
  throw new StoreVersionError(
    `${pgliteDir} holds a PostgreSQL ${found} database (made by another PGlite version); this version's embedded store runs PostgreSQL ${EMBEDDED_PG_MAJOR} and cannot open it. Nothing was changed: run the version that made it on this DATA_DIR, or give this one another DATA_DIR (or DATABASE_URL) and register the models again`,
  );
}
