// Test and bench support: an exported demo bundle on disk, trained in this process from the
// current demo recipe (so it cannot go stale the way a committed copy did) and removed at exit.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainDemoBundle } from "./demo-bundle.ts";

const made = new Map<string, Promise<string>>();

/** A directory holding the demo bundle for these options (one training per process). */
export function demoBundleDir(
  options: { customers?: number; seed?: number } = {},
): Promise<string> {
  const key = `${options.customers ?? ""}/${options.seed ?? ""}`;
  let dir = made.get(key);
  if (!dir) {
    dir = (async () => {
      const out = mkdtempSync(join(tmpdir(), "pp-demo-bundle-"));
      process.on("exit", () => rmSync(out, { recursive: true, force: true }));
      const demo = await trainDemoBundle(options);
      for (const [name, bytes] of demo.files) writeFileSync(join(out, name), bytes);
      return out;
    })();
    made.set(key, dir);
  }
  return dir;
}
