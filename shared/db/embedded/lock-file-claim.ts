// Taking and giving back a lock file of server-lock.ts's kind for one job at a time (the decision
// store's adoption, `ml train --out`'s folder): the loop that creates it, takes over a gone
// holder's and leaves a young unreadable one alone, in one place for every such lock.
import {
  type LockHolder,
  readLockFile,
  removeLockFileOf,
  tryCreateLockFile,
} from "./server-lock.ts";

/** Polls while another process is removing a gone holder's lock (it holds the takeover file). */
const TAKEOVER_POLL_MS = 10;
/** Polls while a lock naming no holder is too young to be removed (server-lock.ts). */
const UNREADABLE_POLL_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A claim on the lock at `path`. */
export interface LockFileClaim<T extends LockHolder> {
  path: string;
  /** What the lock says of its holder: this process's pid and instance, and any fields for messages. */
  holder: T;
  /** Whether the process the lock names is gone (its lock may be taken over). */
  gone(held: T): boolean;
  /** A live holder has the lock: resolve to try again (after a wait), or throw to give up. */
  whileHeld(held: T): Promise<void>;
}

/** Creates the lock for `claim.holder`, taking over a gone holder's; see LockFileClaim.whileHeld. */
export async function claimLockFile<T extends LockHolder>(claim: LockFileClaim<T>): Promise<void> {
  const me = { pid: claim.holder.pid, instance: claim.holder.instance };
  while (!tryCreateLockFile(claim.path, claim.holder)) {
    const held = readLockFile<T>(claim.path);
    if (held && !claim.gone(held)) await claim.whileHeld(held);
    // A gone holder's lock is removed, unless another process is removing one this moment.
    else if (!removeLockFileOf(claim.path, held ?? "unreadable", me)) await sleep(TAKEOVER_POLL_MS);
    // One naming no holder is left alone while it is young (see server-lock.ts), then removed.
    else if (!held) await sleep(UNREADABLE_POLL_MS);
  }
}

/** Removes `me`'s lock at `path` (only its own), waiting while another process holds the takeover file. */
export async function releaseLockFile(path: string, me: LockHolder): Promise<void> {
  while (!removeLockFileOf(path, me, me)) await sleep(TAKEOVER_POLL_MS);
}
