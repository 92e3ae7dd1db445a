// `wrangler dev` of a config with a custom [build] rebuilds only on changes under `watch_dir`:
// with "src" alone, an edit to shared/ or ml/ (request validation, compression, the forecast
// formulas) left the forecast Worker serving the old code, silently, while decision's `wrangler
// dev` (no custom build: esbuild watches every input) reloaded. Every file the Worker's entry
// imports must lie under a watched directory.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "smol-toml";
import {
  importSpecifiers,
  resolveSpecifier,
  sourceFileOf,
} from "../../shared/testing/import-specifiers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SERVICE = "services/forecast";

/** Every repository TypeScript file reachable from `entry` by its imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importSpecifiers(readFileSync(join(ROOT, file), "utf8"))) {
      const target = resolveSpecifier(file, specifier);
      const path = target === null ? null : sourceFileOf(target);
      if (path?.endsWith(".ts")) queue.push(path);
    }
  }
  return seen;
}

for (const config of ["wrangler.toml", "wrangler.lite.toml"]) {
  test(`${config}: wrangler dev watches every file its Worker imports`, () => {
    const parsed = parse(readFileSync(join(ROOT, SERVICE, config), "utf8")) as {
      main: string;
      build?: { watch_dir?: string | string[] };
    };
    const dirs = [parsed.build?.watch_dir ?? []]
      .flat()
      .map((d) => relative(ROOT, join(ROOT, SERVICE, d)));
    for (const dir of dirs)
      expect({ dir, exists: existsSync(join(ROOT, dir)) }).toEqual({ dir, exists: true });
    const files = reachable(join(SERVICE, parsed.main));
    expect(files.size).toBeGreaterThan(20);
    const unwatched = [...files].filter((f) => !dirs.some((d) => f.startsWith(`${d}/`)));
    expect(unwatched).toEqual([]);
  });
}
