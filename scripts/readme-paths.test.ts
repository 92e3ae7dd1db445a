// The files the README names exist: every `dir/file.ext` path in backticks, and every bare source
// file name in backticks or any `*.test.ts` it cites, somewhere in the repository. A file named in
// prose that was renamed or removed leaves a reader looking for it.
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";

const root = join(import.meta.dirname, "..");
const EXT = "ts|mjs|sql|toml|yml|yaml|json|md|py|ipynb|tf|sh";
/** Bare names of these are the repository's sources; `metrics.json` and the like are outputs. */
const SOURCE_EXT = "ts|mjs|sql|toml|yml|yaml|ipynb|tf|sh";

/** Names the README cites that no tracked file has (paths by path, bare names by base name). */
function missingFiles(text: string, files: readonly string[]): string[] {
  const paths = new Set(files);
  const bases = new Set(files.map((f) => basename(f)));
  const missing = new Set<string>();
  for (const m of text.matchAll(new RegExp(`\`([\\w.-]+(?:/[\\w.-]+)+\\.(?:${EXT}))\``, "g"))) {
    if (!m[1]!.startsWith("/") && !paths.has(m[1]!)) missing.add(m[1]!);
  }
  for (const m of text.matchAll(new RegExp(`\`([\\w.-]+\\.(?:${SOURCE_EXT}))\``, "g"))) {
    if (!bases.has(m[1]!)) missing.add(m[1]!);
  }
  for (const m of text.matchAll(/[\w.-]+\.test\.ts/g)) if (!bases.has(m[0])) missing.add(m[0]);
  return [...missing].sort();
}

test("every file the README names is in the repository", () => {
  const files = execFileSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).split("\n");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  expect(missingFiles(readme, files)).toEqual([]);
});

test("a renamed file is found (the check can fail)", () => {
  const text = "see `ml/cli/train.ts`, `gone.ts` and old-name.test.ts; `/openapi.json` is a route";
  expect(missingFiles(text, ["ml/cli/train.ts", "ml/cli/new-name.test.ts"])).toEqual([
    "gone.ts",
    "old-name.test.ts",
  ]);
});
