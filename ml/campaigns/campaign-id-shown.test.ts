// A campaign id `ml campaign` and `ml simulate` refuse is said back shortened: a 5,000-character
// id was echoed whole, a screen of "a"s around the one line that says what is wrong.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLI = join(import.meta.dir, "..", "cli.ts");

/** `ml <args>` as a user runs it: its exit code and what it wrote to stderr. */
function ml(args: string[], env: Record<string, string> = {}): { code: number; err: string } {
  const run = Bun.spawnSync([process.execPath, CLI, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  return { code: run.exitCode, err: run.stderr.toString() };
}

const LONG = "a".repeat(5000);

test("a 5,000-character campaign id is quoted shortened in the CLI error", () => {
  for (const args of [
    ["campaign", "report", "--campaign", LONG, "--data", "x.csv"],
    ["campaign", "learn", "--campaign", LONG],
    ["simulate", "--campaign", LONG, "--out", "x.csv"],
  ]) {
    const run = ml(args);
    expect(run.code).toBe(2);
    expect(run.err).toContain(`"${"a".repeat(64)}…"`);
    expect(run.err.length).toBeLessThan(400);
  }
});

test("a 4,000-character campaign id no decision names is quoted shortened too", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-campaign-id-shown-"));
  try {
    const csv = join(dir, "t.csv");
    writeFileSync(csv, "customer_id,date,amount\n1,1997-01-01,10\n");
    const id = "b".repeat(4000);
    const env = { DATA_DIR: join(dir, "db"), DATABASE_URL: "" };
    for (const args of [
      ["campaign", "report", "--campaign", id, "--data", csv],
      ["campaign", "learn", "--campaign", id],
    ]) {
      const run = ml(args, env);
      expect(run.code).toBe(2);
      expect(run.err).toContain(`"${"b".repeat(64)}…"`);
      expect(run.err.length).toBeLessThan(300);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
