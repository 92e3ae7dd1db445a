// The README's bench commands: each names a script that exists, `--help` answers from the script's
// opening comment without measuring anything, and `npm run bench` refuses what it would ignore.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openingComment } from "./bench-help.ts";

const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const scripts: Record<string, string> = JSON.parse(
  readFileSync(join(root, "package.json"), "utf8"),
).scripts;
const benchScripts = Object.entries(scripts).filter(([name]) => /^bench(:|$)/.test(name));
/** Every bench file the README or package.json runs (`bun bench/X.ts`). */
const benchFiles = [
  ...new Set(
    [...readme.matchAll(/bun bench\/([a-z0-9-]+\.ts)/g), ...benchScripts.map(([, c]) => c)]
      .map((m) => (typeof m === "string" ? m : m[0]).match(/bench\/([a-z0-9-]+\.ts)/)?.[1])
      .filter((f): f is string => f !== undefined),
  ),
].sort();

function run(args: string[]) {
  const child = Bun.spawnSync([process.execPath, ...args], {
    cwd: root,
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: child.exitCode, out: child.stdout.toString(), err: child.stderr.toString() };
}

test("every `npm run bench…` the README names is a package.json script", () => {
  const named = [...readme.matchAll(/npm run (bench[a-z:-]*)/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(5);
  const missing = named.filter((n) => !(n in scripts));
  expect(missing).toEqual([]);
});

test("`--help` of every bench script prints its opening comment and measures nothing", () => {
  expect(benchFiles.length).toBeGreaterThan(15);
  for (const file of benchFiles) {
    const path = join(root, "bench", file);
    const started = performance.now();
    const { code, out } = run([path, "--help"]);
    const comment = openingComment(readFileSync(path, "utf8"));
    expect({ file, code, out: out.trim() }).toEqual({ file, code: 0, out: comment.trim() });
    expect(performance.now() - started).toBeLessThan(30_000);
  }
}, 300_000);

test("`npm run bench` refuses an unknown option and an --only name no script has", () => {
  const typo = run(["bench/all.ts", "--quik", "--only", "fit"]);
  expect(typo.code).toBe(2);
  expect(typo.err).toContain("unknown option --quik");
  const name = run(["bench/all.ts", "--only", "forecast-interval"]);
  expect(name.code).toBe(2);
  expect(name.err).toContain("--only: no script named forecast-interval");
  expect(name.err).toContain("forecast-intervals");
});
