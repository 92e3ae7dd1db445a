// Walks the static import graph of a service from its entry file, to learn which workspace folders
// and which npm packages its image must contain. Reads files, so it is test-side code (node:fs).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface ServiceImports {
  /** Repository-relative folders of workspace packages reached (e.g. "shared", "services/forecast"). */
  workspaceFolders: Set<string>;
  /** npm package names imported by reached files, e.g. "hono", "@hono/zod-validator". */
  packages: Set<string>;
  /** Repository-relative files reached. */
  files: Set<string>;
  /** Imports that point at files that do not exist: "from-file -> specifier". */
  unresolved: string[];
}

interface WorkspacePackage {
  name: string;
  folder: string;
  dependencies: Record<string, string>;
}

/** Package name → folder and dependencies for every workspace of the root package.json. */
export function readWorkspaces(repoRoot: string): Map<string, WorkspacePackage> {
  const root = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    workspaces: string[];
  };
  const byName = new Map<string, WorkspacePackage>();
  for (const folder of root.workspaces) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, folder, "package.json"), "utf8")) as {
      name: string;
      dependencies?: Record<string, string>;
    };
    byName.set(manifest.name, {
      name: manifest.name,
      folder,
      dependencies: manifest.dependencies ?? {},
    });
  }
  return byName;
}

/** Production dependency names of a workspace, following workspace-to-workspace dependencies. */
export function productionDependencyClosure(
  workspaces: Map<string, WorkspacePackage>,
  packageName: string,
): Set<string> {
  const closure = new Set<string>();
  const queue = [packageName];
  while (queue.length > 0) {
    const current = workspaces.get(queue.pop() as string);
    if (current === undefined) continue;
    for (const dependency of Object.keys(current.dependencies)) {
      if (closure.has(dependency)) continue;
      closure.add(dependency);
      if (workspaces.has(dependency)) queue.push(dependency);
    }
  }
  return closure;
}

// Static `import … from "x"`, `export … from "x"`, side-effect `import "x"` and `import("x")`.
// Type-only imports are erased at run time and so are left out.
const importPattern =
  /(?:^|[;\s])(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function specifiers(source: string): string[] {
  const withoutComments = source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");
  const found: string[] = [];
  for (const match of withoutComments.matchAll(importPattern)) found.push(match[1] ?? match[2]);
  return found;
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** Follows every runtime import reachable from `entryFile` (repository-relative). */
export function collectServiceImports(repoRoot: string, entryFile: string): ServiceImports {
  const workspaces = readWorkspaces(repoRoot);
  const result: ServiceImports = {
    workspaceFolders: new Set(),
    packages: new Set(),
    files: new Set(),
    unresolved: [],
  };
  const queue = [resolve(repoRoot, entryFile)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    const relativeFile = relative(repoRoot, file);
    if (result.files.has(relativeFile)) continue;
    result.files.add(relativeFile);
    const folder = [...workspaces.values()].find((w) => relativeFile.startsWith(`${w.folder}/`));
    if (folder) result.workspaceFolders.add(folder.folder);
    if (!/\.[cm]?[jt]sx?$/.test(file)) continue;
    for (const specifier of specifiers(readFileSync(file, "utf8"))) {
      if (/^(node|bun|cloudflare|deno|npm|jsr):/.test(specifier)) continue;
      let target: string | undefined;
      if (specifier.startsWith(".")) {
        target = resolve(dirname(file), specifier);
      } else {
        const name = packageNameOf(specifier);
        const workspace = workspaces.get(name);
        if (workspace === undefined) {
          result.packages.add(name);
          continue;
        }
        result.packages.add(name);
        target = join(repoRoot, workspace.folder, specifier.slice(name.length + 1));
      }
      if (existsSync(target)) queue.push(target);
      else result.unresolved.push(`${relativeFile} -> ${specifier}`);
    }
  }
  return result;
}
