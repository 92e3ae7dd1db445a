// The lock file that makes one process the embedded database's host: `<dataDir>/pglite.lock`,
// created exclusively (O_EXCL), naming the holder's pid and, once it listens, its port. Others
// read it to connect. A lock whose holder is gone (kill -9) is stale and is taken over.

import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LockInfo {
  pid: number;
  /** 0 while the holder is still opening the database. */
  port: number;
  host: string;
  startedAt: string;
  /** The holder's command line, for messages. */
  command: string;
  /**
   * Random per process: tells the holder's own lock from one a dead process with the same pid
   * left (pid 1 in a restarted container). Absent in locks written before it existed.
   */
  instance?: string;
}

export function lockPath(dataDir: string): string {
  return join(dataDir, "pglite.lock");
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), "utf8")) as LockInfo;
    return Number.isInteger(info.pid) && Number.isInteger(info.port) ? info : null;
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

/** Creates the lock for this process; false when another process holds it (EEXIST). */
export function tryCreateLock(dataDir: string, info: LockInfo): boolean {
  try {
    writeFileSync(lockPath(dataDir), JSON.stringify(info), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new LockFileError(lockPath(dataDir), error);
  }
}

/** Rewrites this process's lock (atomically: readers see the old or the new content). */
export function updateLock(dataDir: string, info: LockInfo): void {
  const tmp = `${lockPath(dataDir)}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(info));
    renameSync(tmp, lockPath(dataDir));
  } catch (error) {
    throw new LockFileError(lockPath(dataDir), error);
  }
}

/** Who removes a lock: this process (its pid and per-process instance). */
export type LockRemover = Pick<LockInfo, "pid" | "instance">;

function takeoverPath(dataDir: string): string {
  return `${lockPath(dataDir)}.takeover`;
}

/** A lock or takeover file is written in one call; one still unreadable this long after was
 * left by a crash between its creation and its content (kill -9, a full disk). */
const UNREADABLE_MS = 2000;

/** Whether the file at `path` exists, cannot be read as JSON, and is older than UNREADABLE_MS. */
function leftUnreadable(path: string): boolean {
  try {
    JSON.parse(readFileSync(path, "utf8"));
    return false;
  } catch {
    try {
      return Date.now() - statSync(path).mtimeMs >= UNREADABLE_MS;
    } catch {
      return false; // gone
    }
  }
}

/**
 * Removes a takeover file whose creator is gone (killed between taking and releasing it), so
 * removals do not wait on it for ever. A live creator's file is left alone.
 */
function clearDeadTakeover(dataDir: string, me: LockRemover): void {
  const path = takeoverPath(dataDir);
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
 * takeover file (`pglite.lock.takeover`, created exclusively) while it reads and unlinks. Only a
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
  try {
    writeFileSync(takeoverPath(dataDir), JSON.stringify({ pid: me.pid, instance: me.instance }), {
      flag: "wx",
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return true; // no directory, so no lock (removed on exit after a test)
    if (code !== "EEXIST") throw new LockFileError(takeoverPath(dataDir), error);
    clearDeadTakeover(dataDir, me);
    return false;
  }
  try {
    if (holder === "unreadable") {
      if (!leftUnreadable(lockPath(dataDir))) return true;
    } else {
      const lock = readLock(dataDir);
      if (lock?.pid !== holder.pid || lock.instance !== holder.instance) return true;
    }
    beforeUnlink?.();
    try {
      unlinkSync(lockPath(dataDir));
    } catch {
      // already gone
    }
    return true;
  } finally {
    try {
      unlinkSync(takeoverPath(dataDir));
    } catch {
      // removed as a dead one's by a process that misjudged us: nothing to release
    }
  }
}
