// One process at a time adopts an old decision database (two services started together on one
// DATA_DIR): `<dataDir>/decision.adopt.lock`, a lock file of the embedded store's kind
// (server-lock.ts), naming its holder. A holder that died (kill -9) leaves a stale lock, which the
// next process takes over; so is one never finished (killed between creating and writing it, as
// older versions could be), once it is a few seconds old.
import { join } from "node:path";
import {
  holderGone,
  readLockFile,
  removeLockFileOf,
  tryCreateLockFile,
} from "@pp/shared/db/embedded/server-lock.ts";

const POLL_MS = 100;

/** This process in its adoption lock (the instance tells it from a predecessor with its pid). */
const ME = { pid: process.pid, instance: crypto.randomUUID() };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withAdoptionLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const path = join(dataDir, "decision.adopt.lock");
  while (!tryCreateLockFile(path, ME)) {
    const holder = readLockFile(path);
    // A live holder is waited for (so is another call in this process: the same pid and instance).
    if (holder && !holderGone(holder, ME)) await sleep(POLL_MS);
    // A gone holder's lock is removed, unless another process is removing one this moment.
    else if (!removeLockFileOf(path, holder ?? "unreadable", ME)) await sleep(10);
    // One naming no holder is left alone while it is young (see server-lock.ts), then removed.
    else if (!holder) await sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    await release(path);
  }
}

/** Removes this process's lock, waiting while another process holds the takeover file. */
async function release(path: string): Promise<void> {
  try {
    while (!removeLockFileOf(path, ME, ME)) await sleep(10);
  } catch {
    // a directory that cannot be written: nothing could be adopted into it either
  }
}
