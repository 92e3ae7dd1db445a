// One process at a time adopts an old decision database (two services started together on one
// DATA_DIR): `<dataDir>/decision.adopt.lock`, a lock file of the embedded store's kind
// (server-lock.ts), naming its holder. A holder that died (kill -9) leaves a stale lock, which the
// next process takes over; so is one never finished (killed between creating and writing it, as
// older versions could be), once it is a few seconds old.
import { join } from "node:path";
import { claimLockFile, releaseLockFile } from "@pp/shared/db/embedded/lock-file-claim.ts";
import { holderGone } from "@pp/shared/db/embedded/server-lock.ts";

const POLL_MS = 100;

/** This process in its adoption lock (the instance tells it from a predecessor with its pid). */
const ME = { pid: process.pid, instance: crypto.randomUUID() };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withAdoptionLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const path = join(dataDir, "decision.adopt.lock");
  // A live holder is waited for (so is another call in this process: the same pid and instance).
  await claimLockFile({
    path,
    holder: ME,
    gone: (held) => holderGone(held, ME),
    whileHeld: () => sleep(POLL_MS),
  });
  try {
    return await work();
  } finally {
    try {
      await releaseLockFile(path, ME);
    } catch {
      // a directory that cannot be written: nothing could be adopted into it either
    }
  }
}
