// Clean-ups a test file registers as it goes, run after each test (last first), and temporary
// directories removed by them.
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Cleanups = Array<() => Promise<void> | void>;

/** The file's clean-up list (run after each test) and a temporary directory maker on it. */
export function cleanupsAfterEach(): { cleanups: Cleanups; tempDir: (prefix: string) => string } {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
  return { cleanups, tempDir };
}
