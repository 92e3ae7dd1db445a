// Lock files naming their holder's pid, created exclusively, taken over once the holder is gone
// (kill -9). Two uses: the embedded database's host, `<dataDir>/pglite.lock`, which also names the
// port others connect to (the functions on a data directory), and any one-at-a-time job given its
// own file (the functions on a lock file's path, e.g. the decision store's adoption lock).

import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Who holds a lock: a process, and its per-process mark. */
export interface LockHolder {
  pid: number;
  /**
   * Random per process: tells the holder's own lock from one a dead process with the same pid
   * left (pid 1 in a restarted container). Absent in locks written before it existed.
   */
  instance?: string;
}

export interface LockInfo extends LockHolder {
  /** 0 while the holder is still opening the database. */
  port: number;
  host: string;
  startedAt: string;
  /** The holder's command line, for messages. */
  command: string;
  /** What a connection sends first (the file is its owner's alone: mode 0600). */
  secret?: string;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, "pglite.lock");
}

/** The embedded database host's lock; null when there is none or it cannot be read. */
export function readLock(dataDir: string): LockInfo | null {
  const info = readLockFile<LockInfo>(lockPath(dataDir));
  return info && Number.isInteger(info.port) ? info : null;
}

/**
 * The lock at `path`; null when there is none or it cannot be read. A bare pid is a lock the
 * decision store's adoption lock wrote before it used this file's locks.
 */
export function readLockFile<T extends LockHolder = LockHolder>(path: string): T | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as T | number;
    const info = typeof parsed === "number" ? ({ pid: parsed } as T) : parsed;
    return Number.isInteger(info?.pid) ? info : null;
  } catch {
    return null;
  }
}

/**
 * Whether a process with this pid exists (EPERM: it exists but is not ours). Only ESRCH means
 * gone: a check the runtime refuses (Deno without --allow-run throws NotCapable) throws, since
 * taking it for a dead host opened a live host's PGlite directory in a second process.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
    const why = (error as Error)?.message ?? String(error);
    throw new Error(
      `cannot tell whether process ${pid}, which holds an embedded-store lock, is alive (${why}); on Deno run with --allow-run`,
      { cause: error },
    );
  }
}

/** The lock file could not be written (a full disk, a read-only directory): one line naming it. */
export class LockFileError extends Error {
  override readonly name = "LockFileError";
  constructor(path: string, cause: unknown) {
    super(`could not write ${path} (${(cause as Error)?.message ?? String(cause)})`, { cause });
  }
}

/** Creates the embedded host's lock for this process; false when another process holds it. */
export function tryCreateLock(dataDir: string, info: LockInfo): boolean {
  return tryCreateLockFile(lockPath(dataDir), info);
}

/** Creates the lock at `path` for `holder`; false when another process holds it (EEXIST). */
export function tryCreateLockFile(path: string, holder: LockHolder): boolean {
  try {
    return createWith(path, JSON.stringify(holder));
  } catch (error) {
    throw new LockFileError(path, error);
  }
}

/**
 * Creates `path` holding `content`, unless it exists (false). The file appears with its content:
 * written to a file of this process's own, then hard-linked to `path` (link, like O_EXCL, fails
 * when the name exists). Created with O_EXCL and then written, a lock was empty for a moment, and
 * for ever when its writer was killed in it; another process cannot tell that from a writer that
 * is only slow, so it must either wait for ever or, after some seconds, take it over and risk
 * removing the lock of a writer that was merely stalled (both then hold it).
 */
function createWith(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content, { mode: 0o600 });
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // not written
    }
  }
}

/** Rewrites this process's lock (atomically: readers see the old or the new content). */
export function updateLock(dataDir: string, info: LockInfo): void {
  const tmp = `${lockPath(dataDir)}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
    renameSync(tmp, lockPath(dataDir));
  } catch (error) {
    throw new LockFileError(lockPath(dataDir), error);
  }
}

/**
 * Whether the process that wrote `holder` is gone: `me`'s pid with another instance (or none) is
 * a predecessor's; another pid, dead (processAlive: a check that cannot be made throws).
 */
export function holderGone(holder: LockHolder, me: LockHolder): boolean {
  if (holder.pid === me.pid) return holder.instance !== me.instance;
  return !processAlive(holder.pid);
}

/** Who removes a lock: this process (its pid and per-process instance). */
export type LockRemover = LockHolder;

function takeoverPath(path: string): string {
  return `${path}.takeover`;
}

/** Locks and takeover files appear with their content (createWith). One naming no holder was left
 * by an older version's writer, killed between creating and writing it, or emptied by a crash of
 * the machine; it is left alone this long, as an older version may be writing it this moment. */
const UNREADABLE_MS = 2000;

/** Whether the file at `path` exists, names no holder, and is older than UNREADABLE_MS. */
function leftUnreadable(path: string): boolean {
  if (readLockFile(path)) return false;
  try {
    return Date.now() - statSync(path).mtimeMs >= UNREADABLE_MS;
  } catch {
    return false; // gone
  }
}

/**
 * Removes a takeover file whose creator is gone (killed between taking and releasing it), so
 * removals do not wait on it for ever. A live creator's file is left alone.
 */
function clearDeadTakeover(lock: string, me: LockRemover): void {
  const path = takeoverPath(lock);
  let holder: LockRemover | null = null;
  try {
    holder = JSON.parse(readFileSync(path, "utf8")) as LockRemover;
  } catch {
    if (!leftUnreadable(path)) return; // still being written, or gone
  }
  // One naming this pid is not in use: a process holds the file only inside one synchronous call
  // (it is a predecessor's with the same pid, or ours left by a failed release).
  const dead =
    holder === null ||
    !Number.isInteger(holder.pid) ||
    holder.pid === me.pid ||
    !processAlive(holder.pid);
  if (!dead) return;
  try {
    unlinkSync(path);
  } catch {
    // removed by another process meanwhile
  }
}

/**
 * Removes the lock when it is still `holder`'s (a stale one, or our own on exit), holding the
 * takeover file (`pglite.lock.takeover`, created like a lock) while it reads and unlinks. Only a
 * process holding it removes a lock that is not its own, so a process that read a stale lock and
 * was then held up (a busy machine can stall it for longer than a claim takes) cannot unlink the
 * fresh lock another process wrote meanwhile: it reads again once it holds the file, and the
 * stale lock it reads there cannot be replaced before it unlinks it (only a lock's removal frees
 * the name, and removals wait for the file). False when another process holds the file: try
 * again shortly. `holder` "unreadable": a lock its writer never finished (see UNREADABLE_MS),
 * which would otherwise keep every process waiting. `beforeUnlink` is for tests (the moment
 * another process would act).
 */
export function removeLockOf(
  dataDir: string,
  holder: LockRemover | "unreadable",
  me: LockRemover,
  beforeUnlink?: () => void,
): boolean {
  return removeLockFileOf(lockPath(dataDir), holder, me, beforeUnlink);
}

/** removeLockOf for the lock at `path` (its takeover file: `<path>.takeover`). */
export function removeLockFileOf(
  path: string,
  holder: LockRemover | "unreadable",
  me: LockRemover,
  beforeUnlink?: () => void,
): boolean {
  try {
    if (!createWith(takeoverPath(path), JSON.stringify({ pid: me.pid, instance: me.instance }))) {
      clearDeadTakeover(path, me);
      return false;
    }
  } catch (error) {
    // No directory, so no lock (removed on exit after a test).
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw new LockFileError(takeoverPath(path), error);
  }
  try {
    if (holder === "unreadable") {
      if (!leftUnreadable(path)) return true;
    } else {
      const lock = readLockFile(path);
      if (lock?.pid !== holder.pid || lock.instance !== holder.instance) return true;
    }
    beforeUnlink?.();
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    return true;
  } finally {
    try {
      unlinkSync(takeoverPath(path));
    } catch {
      // removed as a dead one's by a process that misjudged us: nothing to release
    }
  }
}
