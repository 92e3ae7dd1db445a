// Atomic file writes, the one helper for every file a reader must see whole or not at all (the
// artifact store's objects, `ml train --out`'s outputs): a temporary file beside the target,
// fsynced, then renamed over it, so a kill -9 or power cut leaves the old file or the new one.

import { randomUUID } from "node:crypto";
import {
  type FileHandle,
  lstat,
  open,
  readdir,
  readlink,
  realpath,
  rename,
  rm,
  stat,
} from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";

/** What a temporary file adds to its target's name (then a random id): never an output's name. */
export const TEMPORARY_MARK = ".tmp-";

const TEMPORARY_NAME = /^(.+)\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh temporary path for `path`: `<path>.tmp-<uuid>`, in the same directory (rename stays on one file system). */
export function temporaryPathFor(path: string): string {
  return `${path}${TEMPORARY_MARK}${randomUUID()}`;
}

/** The output a temporary file of writeFileAtomic was for (its name less the mark), or null. */
export function temporaryTarget(name: string): string | null {
  return TEMPORARY_NAME.exec(name)?.[1] ?? null;
}

/** Fsyncs a directory so a rename in it survives a power cut (best effort: not every system allows it). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Some file systems refuse to open or fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => {});
  }
}

/** A file being written atomically (openAtomicFile): write through `handle`, then commit or abort. */
export interface AtomicFile {
  readonly handle: FileHandle;
  /** The temporary file written (null when the target is written in place). */
  readonly temporaryPath: string | null;
  /** Fsyncs, closes and renames the file over the target, then fsyncs the folder. */
  commit(): Promise<void>;
  /** Closes and removes the temporary file: the target keeps what it held. */
  abort(): Promise<void>;
}

/**
 * Opens a new temporary file beside `given` for a write that a later commit() renames over it
 * (fsynced first), so that until then `given` keeps its old content (or stays absent); abort()
 * removes it. A path that is there but not a file (/dev/stdout, a FIFO) cannot be replaced: it
 * is written in place; through a symbolic link, the file it points to is replaced (not the link).
 * For a write that spans calls (a streamed output); withAtomicFile for one callback.
 */
export async function openAtomicFile(given: string): Promise<AtomicFile> {
  const existing = await stat(given).catch(() => null);
  if (existing?.isDirectory()) {
    // Before any work: the rename at the end could not replace a folder.
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${given}'`), {
      code: "EISDIR",
      syscall: "open",
      path: given,
    });
  }
  if (existing && !existing.isFile()) {
    const handle = await open(given, "w");
    return {
      handle,
      temporaryPath: null,
      commit: () => handle.close(),
      abort: () => handle.close(),
    };
  }
  const path = existing?.isFile() ? await realpath(given) : await danglingLinkTarget(given);
  const tmp = temporaryPathFor(path);
  let handle: FileHandle;
  try {
    handle = await open(tmp, "wx");
  } catch (error) {
    await removeQuietly(tmp);
    throw namingTarget(error, tmp, given);
  }
  // The file replaced keeps its permissions (a plain write kept them: one made private stays so).
  if (existing) {
    await handle.chmod(existing.mode & 0o7777).catch(async (error) => {
      await handle.close().catch(() => {});
      await removeQuietly(tmp);
      throw error;
    });
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    handle,
    temporaryPath: tmp,
    async commit() {
      try {
        await handle.sync();
        await close();
      } catch (error) {
        await close().catch(() => {});
        await removeQuietly(tmp);
        throw error;
      }
      await publishFile(tmp, path);
    },
    async abort() {
      await close().catch(() => {});
      await removeQuietly(tmp);
    },
  };
}

/**
 * Renames `tmp`, a complete file that is synced to disk, over `target`, then fsyncs the folder so
 * the rename survives a power cut; on failure `tmp` is removed and the error thrown.
 */
async function publishFile(tmp: string, target: string): Promise<void> {
  try {
    await rename(tmp, target);
  } catch (error) {
    await removeQuietly(tmp);
    throw error;
  }
  await syncDirectory(dirname(target));
}

/**
 * Publishes a file another writer made complete at `tmp` (DuckDB's COPY ... TO for Parquet) as
 * `target`: fsynced, renamed over it, the folder fsynced, as commit() does for its own files.
 * Renamed without the fsync, a power cut soon after could leave `target` empty or cut short.
 */
export async function publishWrittenFile(tmp: string, target: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, "r+");
    await handle.sync();
  } catch (error) {
    await removeQuietly(tmp);
    throw error;
  } finally {
    await handle?.close().catch(() => {});
  }
  await publishFile(tmp, target);
}

/**
 * The file a symbolic link names when that file is not there yet (`latest.csv -> runs/today.csv`),
 * following links in turn; `given` itself when it is no link. Renaming over the link itself would
 * replace it with a plain file.
 */
async function danglingLinkTarget(given: string): Promise<string> {
  let path = given;
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(path).catch(() => null);
    if (!info?.isSymbolicLink()) return path;
    path = resolve(dirname(path), await readlink(path));
  }
  throw Object.assign(new Error(`ELOOP: too many symbolic links, open '${given}'`), {
    code: "ELOOP",
    syscall: "open",
    path: given,
  });
}

/**
 * An error opening the temporary file (its folder missing or not writable) as one about the path
 * the caller gave: the user never named `NAME.tmp-<uuid>`, and the CLI's message quotes the path.
 */
function namingTarget(error: unknown, tmp: string, given: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (e instanceof Error && e.path === tmp) {
    e.path = given;
    e.message = e.message.replaceAll(tmp, given);
  }
  return error;
}

/** Removes a temporary file; the cleanup never hides why the write failed (under a path that is a file, Bun's rm fails with EFAULT). */
async function removeQuietly(tmp: string): Promise<void> {
  await rm(tmp, { force: true }).catch(() => {});
}

/**
 * Runs `write` on an atomically written file at `given` (openAtomicFile) and commits it; on an
 * error the temporary file is removed and the error thrown as it was.
 */
export async function withAtomicFile<T>(
  given: string,
  write: (handle: FileHandle) => Promise<T>,
): Promise<T> {
  const file = await openAtomicFile(given);
  let result: T;
  try {
    result = await write(file.handle);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
  return result;
}

/** Writes `data` to `path` atomically (withAtomicFile). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await withAtomicFile(path, (handle) => handle.writeFile(data));
}

/**
 * Removes atomically written files' temporaries that a killed run left in `dir` (only names of the
 * form `<one of names>.tmp-<uuid>`); returns the names removed. Run it only where no other process
 * writes the same outputs at the same time (it would remove that writer's file in flight).
 */
export async function removeStaleTemporaries(
  dir: string,
  names: readonly string[],
): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const stale = entries.filter((entry) => {
    const target = temporaryTarget(entry);
    return target !== null && names.includes(target);
  });
  for (const entry of stale) await rm(join(dir, entry), { force: true });
  return stale.map((entry) => basename(entry));
}
