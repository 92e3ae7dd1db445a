import { expect, test } from "bun:test";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { baselineCheckout, checkoutEnv } from "./baseline-checkout.ts";

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
