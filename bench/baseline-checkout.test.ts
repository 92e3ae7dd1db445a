import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { baselineCheckout, checkoutEnv, ownInstallNeeded } from "./baseline-checkout.ts";
import { BENCH_BASELINE } from "./bench-baseline.ts";

const root = resolve(import.meta.dirname, "..");

test("a checkout holds the commit's files, the workspace links and ../shared, and is removed", () => {
  const checkout = baselineCheckout(root, "HEAD", ["package.json", "shared"]);
  try {
    expect(checkout.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(JSON.parse(readFileSync(join(checkout.dir, "package.json"), "utf8")).name).toBe(
      JSON.parse(readFileSync(join(root, "package.json"), "utf8")).name,
    );
    expect(realpathSync(join(checkout.dir, "node_modules", "@pp", "shared"))).toBe(
      realpathSync(join(checkout.dir, "shared")),
    );
    const shared = resolve(root, "..", "shared");
    if (existsSync(shared))
      expect(realpathSync(resolve(checkout.dir, "..", "shared"))).toBe(realpathSync(shared));
  } finally {
    checkout.remove();
  }
  expect(existsSync(checkout.dir)).toBe(false);
});

test("checkoutEnv points git at this repository", () => {
  const gitDir = checkoutEnv(root).GIT_DIR;
  expect(gitDir).toBeDefined();
  expect(existsSync(join(gitDir ?? "", "HEAD"))).toBe(true);
});

test("a commit with another package-lock.json gets its own install; one with ours links to it", () => {
  const lockChanged =
    spawnSync("git", ["diff", "--quiet", "HEAD", "--", "package-lock.json"], { cwd: root })
      .status !== 0;
  expect(ownInstallNeeded(root, "HEAD")).toBe(lockChanged);
  // The baseline of `bun run bench --baseline` imported a package dropped from the lockfile since.
  const theirs = spawnSync("git", ["show", `${BENCH_BASELINE}:package-lock.json`], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  }).stdout;
  expect(theirs).toContain("math-base-special-betaln");
  expect(readFileSync(join(root, "package-lock.json"), "utf8")).not.toContain(
    "math-base-special-betaln",
  );
  expect(ownInstallNeeded(root, BENCH_BASELINE)).toBe(true);
});
