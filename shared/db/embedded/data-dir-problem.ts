// Whether a path can hold the embedded database: a regular file there (or on its path) never
// will, and a service that opens its store in the background stayed up with /ready 503 forever.
import { statSync } from "node:fs";
import { ConfigError } from "../../config/parse-env.ts";

/** What keeps `dir` from holding the embedded store, or null (a directory, or none yet: made). */
export function embeddedDirProblem(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : `${dir} is not a directory (a file is there)`;
  } catch (error) {
    // ENOENT is made on open; other errors (a permission) are the open's to report, as before.
    if ((error as NodeJS.ErrnoException).code !== "ENOTDIR") return null;
    return `${dir} is not a directory (a file is on its path)`;
  }
}

/**
 * Stops a start whose embedded store cannot be: a ConfigError naming `variable` (the entries
 * print it in one line and exit 1), instead of a service up with /ready 503 for good.
 */
export function refuseUnusableStoreDir(variable: string, dir: string): void {
  const problem = embeddedDirProblem(dir);
  if (!problem) return;
  throw new ConfigError([
    {
      variable,
      message: `${problem}: pass a directory for the embedded database (made if missing), or DATABASE_URL for PostgreSQL`,
    },
  ]);
}
