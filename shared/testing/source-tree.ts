// The repository's TypeScript sources as the structure tests walk them, and which of them are
// test support (never imported by serving code, not held to the table-owner rule).
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Test support: tests, testing/ folders, test/ suites, fake servers, stubs and crash children. */
export function isTestSupport(path: string): boolean {
  return (
    /\.test\.ts$/.test(path) ||
    /(^|\/)(testing|test)\//.test(path) ||
    /(^|[/-])(fake|stub|child)[-.]/.test(path) ||
    /-(fake-server|stub|child)\.ts$/.test(path)
  );
}

/** Every .ts source under `dir` (relative to `root`), without node_modules, dist and dot folders. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) {
      continue;
    }
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (/\.(ts|tsx|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}
