// Test support: a small tmpfs to fill up (disk-full tests of the CLI and the services). Mounting
// needs root; without it the caller's tests are skipped with a loud line naming the test file.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";

/** Makes `path` a tmpfs of `size` (e.g. "64m"); false (after a warning) when it cannot. */
export function mountSmallDisk(path: string, size: string, testFile: string): boolean {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", path], {
      stdio: "ignore",
    });
    return true;
  } catch {
    console.warn(`SKIPPED ${testFile}: cannot mount a tmpfs here (needs root)`);
    return false;
  }
}

/**
 * Lazy, so a process that has not yet let go of its files does not keep the mount; a path that
 * is not mounted (its test was skipped) is left as it is.
 */
export function unmountSmallDisk(path: string): void {
  try {
    execFileSync("umount", ["-l", path], { stdio: "ignore" });
  } catch {}
}

/** Writes `path` until its disk has no space left (1 MiB blocks, then 4 KiB pages); its size. */
export function fillDisk(path: string): number {
  const fd = openSync(path, "w");
  let written = 0;
  try {
    for (const size of [1 << 20, 4096]) {
      const block = new Uint8Array(size).fill(1);
      for (;;) {
        try {
          written += writeSync(fd, block);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
