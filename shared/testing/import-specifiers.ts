// The module specifiers a TypeScript source names and the repository files they resolve to: the
// import-graph check walks them, and so do the check that wrangler dev watches every file the
// forecast Worker imports (services/forecast/wrangler-watch.test.ts) and the check that the
// Workers import only node: modules workerd provides (worker-imports.test.ts).
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/** Workspace package names → their folder, as package.json's workspaces declare them. */
const WORKSPACES: Record<string, string> = {
  "@pp/shared": "shared",
  "@pp/ml": "ml",
  "@pp/forecast": "services/forecast",
  "@pp/decision": "services/decision",
};

/** Every module specifier a TypeScript source names: static, type-only, re-export, dynamic. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const statement =
    /(?:^|\n)[ \t]*(?:import|export)\s+(?:type\s+)?(?:[^;"'`]*?\s*from\s*)?["']([^"'\n]+)["']/g;
  const dynamic = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;
  for (const match of source.matchAll(statement)) found.push(match[1] as string);
  for (const match of source.matchAll(dynamic)) found.push(match[1] as string);
  return found;
}

/** A specifier as a repository path (relative or a workspace package), or null for a library. */
export function resolveSpecifier(fromFile: string, specifier: string): string | null {
  if (specifier.startsWith(".")) return relative(ROOT, resolve(ROOT, dirname(fromFile), specifier));
  for (const [name, folder] of Object.entries(WORKSPACES)) {
    if (specifier === name) return folder;
    if (specifier.startsWith(`${name}/`)) return join(folder, specifier.slice(name.length + 1));
  }
  return null;
}

/**
 * The specifiers a bundler keeps: all but `import type … from` and `export type … from`, which
 * TypeScript erases (`import { type A }` stays: under verbatimModuleSyntax it is `import {} from`).
 */
export function bundledSpecifiers(source: string): string[] {
  const typeOnly = /(?:^|\n)[ \t]*(?:import|export)\s+type\s+[^;"'`]*?\s*from\s*["'][^"'\n]+["']/g;
  return importSpecifiers(source.replace(typeOnly, "\n"));
}

/** A resolved specifier as the repository file it names (`x.ts`, or a folder's index.ts). */
export function sourceFileOf(path: string): string | null {
  for (const candidate of [path, `${path}.ts`, join(path, "index.ts")]) {
    const full = join(ROOT, candidate);
    if (existsSync(full) && statSync(full).isFile()) return candidate;
  }
  return null;
}
