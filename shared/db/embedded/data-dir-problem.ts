// Whether a path can hold the embedded database: a regular file there (or on its path) never
// will, and a service that opens its store in the background stayed up with /ready 503 forever.
import { statSync } from "node:fs";

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
