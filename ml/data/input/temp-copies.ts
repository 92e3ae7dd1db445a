// The temp folders a read makes for copies of a log (a UTF-8 copy of a Windows-1252 file, a
// zip's entry, several exports joined). A read removes its own when done; one killed with
// SIGKILL cannot, so each new copy first removes those of its kind more than a day old (no read
// runs that long, so none is still in use).

import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A copy older than this was left by a read that was killed. */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

/** The temp folders of a kind: UTF-8 copies, zip entries, joined exports. */
export type CopyKind = "pp-csv-" | "pp-zip-" | "pp-join-";

/** Removes folders of this kind older than STALE_AFTER_MS; resolves to how many. */
async function removeStaleCopies(kind: CopyKind, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!name.startsWith(kind)) continue;
    const path = join(tmpdir(), name);
    const modified = (await stat(path).catch(() => null))?.mtimeMs;
    if (modified === undefined || now - modified < STALE_AFTER_MS) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** A new temp folder for a copy, after removing those of its kind a killed read left. */
export async function tempCopyFolder(kind: CopyKind): Promise<string> {
  await removeStaleCopies(kind);
  return mkdtemp(join(tmpdir(), kind));
}
