// Checks that a log's --data names one readable file before a reader opens it: a missing file or a
// URL is an InputError saying what to pass, not a reader's ENOENT. The CDNOW and summary readers
// take one file, so for them a folder or a pattern is one too (the DuckDB reader reads those as
// one log first: many-files.ts).

import { closeSync, openSync, statSync } from "node:fs";
import { InputError } from "./input-error.ts";

const GLOB = /[*?[\]{}]/;

/** How to make one file of several exports with the same header (the header kept once). */
const JOIN_HINT =
  "pass one file: exports with the same header join into one with " +
  "`{ head -n 1 jan.csv; tail -q -n +2 jan.csv feb.csv mar.csv; } > all.csv`";

/** Throws an InputError when `path` (a log's --data) is not one readable file. */
export function checkDataFile(path: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1];
  if (scheme !== undefined) {
    throw new InputError(
      undefined,
      `${path}: --data takes a local file or a postgres:// URL, not ${scheme}://`,
      {
        hint: `download it first (e.g. curl -LO '${path}') and pass the file`,
      },
    );
  }
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (GLOB.test(path)) {
      // A name with [ or * may be a file's own name that does not exist: say both.
      throw new InputError(
        undefined,
        `${path}: --data takes one file, not a pattern (and no file has that name)`,
        { hint: JOIN_HINT },
      );
    }
    const problem = code === "ENOENT" ? "no such file" : `cannot be opened (${code})`;
    throw new InputError(undefined, `${path}: ${problem}`, {
      hint: "check the path (relative paths start at the current folder)",
    });
  }
  if (isFolder) {
    throw new InputError(undefined, `${path}: is a folder; --data takes one file`, {
      hint: JOIN_HINT,
    });
  }
  try {
    closeSync(openSync(path, "r"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(undefined, `${path}: cannot be opened (${code})`, {
      hint: "check the file's permissions",
    });
  }
}
