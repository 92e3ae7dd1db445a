// A refused `ml` argument is said back cut at 64 characters: a 5,000-character model name or
// --keep-rows filter was echoed whole, twice (commander's "argument '…' is invalid" and "got …").
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

test("a 5,000-character name or filter is quoted shortened; no store opened", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-long-argument-"));
  try {
    const long = "x".repeat(5000);
    for (const args of [
      ["models", long],
      ["promote", long, "1"],
      ["train", "--data", "t.csv", "--keep-rows", long],
    ]) {
      const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], {
        cwd: root,
        env: { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "" },
      });
      const err = run.stderr.toString();
      expect({ args: args[0], code: run.exitCode }).toEqual({ args: args[0], code: 2 });
      expect(err).toContain(`got "${"x".repeat(64)}…"`);
      expect(err.length).toBeLessThan(500);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
