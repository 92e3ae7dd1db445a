// The lock file that makes one process the embedded database's host: `<dataDir>/pglite.lock`,
// created exclusively (O_EXCL), naming the holder's pid and, once it listens, its port. Others
// read it to connect. A lock whose holder is gone (kill -9) is stale and is taken over.

import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
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

/** Whether a process with this pid exists (EPERM: it exists but is not ours). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Creates the lock for this process; false when another process holds it (EEXIST). */
export function tryCreateLock(dataDir: string, info: LockInfo): boolean {
  try {
    writeFileSync(lockPath(dataDir), JSON.stringify(info), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** Rewrites this process's lock (atomically: readers see the old or the new content). */
export function updateLock(dataDir: string, info: LockInfo): void {
  const tmp = `${lockPath(dataDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info));
  renameSync(tmp, lockPath(dataDir));
}

/** Removes the lock when it is still `holder`'s (a stale one, or our own on exit). */
export function removeLockOf(dataDir: string, holder: Pick<LockInfo, "pid" | "instance">): void {
  const lock = readLock(dataDir);
  if (lock?.pid !== holder.pid || lock.instance !== holder.instance) return;
  try {
    unlinkSync(lockPath(dataDir));
  } catch {
    // already gone
  }
}
