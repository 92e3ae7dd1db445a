// One process at a time adopts an old decision database (two services started together on one
// DATA_DIR): `<dataDir>/decision.adopt.lock`, created exclusively, naming its holder's pid. A
// holder that died (kill -9) leaves a stale lock, which the next process takes over.
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processAlive } from "@pp/shared/db/embedded/server-lock.ts";

const POLL_MS = 100;

export async function withAdoptionLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  const path = join(dataDir, "decision.adopt.lock");
  while (!tryCreate(path)) {
    const holder = holderOf(path);
    if (holder !== null && !processAlive(holder)) removeStale(path, holder);
    else await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    return await work();
  } finally {
    removeStale(path, process.pid);
  }
}

function tryCreate(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(`could not write ${path} (${(error as Error).message})`);
  }
}

/** The holder's pid; null while its writer has not written it yet (or it is gone). */
function holderOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Removes the lock if `pid` still holds it (a re-read narrows the race with a new holder). */
function removeStale(path: string, pid: number): void {
  if (holderOf(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
