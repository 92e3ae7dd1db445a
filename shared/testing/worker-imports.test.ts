// The Workers import only the node: (and no bun:) modules workerd provides under their wrangler
// config's compatibility flags. A value import chain services → log-input.ts → other-encodings.ts →
// csv-head.ts (node:fs) made the forecast Worker fail at start on workerd ("No such module
// node:fs"), seen only by the slow conformance run; this walk sees it in well under a second.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { bundledSpecifiers, resolveSpecifier, sourceFileOf } from "./import-specifiers.ts";
import { isTestSupport } from "./source-tree.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The node: modules workerd serves under nodejs_compat at the Workers' compatibility date, as a
 * Worker importing each one on node_modules/.bin/workerd (2026-11-17) found. Without the flag it
 * has only node:process ("No such module" for the rest). child_process, cluster and worker_threads
 * load there too but every call throws ERR_METHOD_NOT_IMPLEMENTED: a Worker importing them is
 * broken as well, later.
 */
const NODEJS_COMPAT = [
  "assert",
  "async_hooks",
  "buffer",
  "console",
  "crypto",
  "dgram",
  "diagnostics_channel",
  "dns",
  "events",
  "fs",
  "http",
  "http2",
  "https",
  "inspector",
  "module",
  "net",
  "os",
  "path",
  "perf_hooks",
  "process",
  "punycode",
  "querystring",
  "readline",
  "sqlite",
  "stream",
  "string_decoder",
  "timers",
  "tls",
  "tty",
  "url",
  "util",
  "v8",
  "vm",
  "zlib",
];

/** The node: modules (without the prefix) a Worker with these compatibility flags may import. */
export function nodeModulesProvided(flags: string[]): Set<string> {
  return new Set(flags.includes("nodejs_compat") ? NODEJS_COMPAT : ["process"]);
}

/** A runtime module a specifier names ("node:fs", "fs/promises" → "fs"), or null for others. */
export function runtimeModule(specifier: string): string | null {
  if (specifier.startsWith("bun:")) return specifier;
  const bare = specifier.replace(/^node:/, "");
  if (specifier.startsWith("node:") || builtinModules.includes(bare)) {
    return `node:${bare.split("/")[0]}`;
  }
  return null;
}

interface Worker {
  config: string;
  entry: string;
  flags: string[];
}

/** Every wrangler config of a service, with its Worker's entry and compatibility flags. */
function workers(): Worker[] {
  return readdirSync(join(ROOT, "services"), { withFileTypes: true })
    .filter((dir) => dir.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(ROOT, "services", dir.name))
        .filter((name) => /^wrangler.*\.toml$/.test(name))
        .map((name) => {
          const config = `services/${dir.name}/${name}`;
          const parsed = parse(readFileSync(join(ROOT, config), "utf8")) as {
            main: string;
            compatibility_flags?: string[];
          };
          const entry = join(`services/${dir.name}`, parsed.main);
          return { config, entry, flags: parsed.compatibility_flags ?? [] };
        }),
    );
}

/** The import chain from `entry` to each runtime module the bundle keeps, and the files walked. */
export function runtimeImports(entry: string): { chains: string[][]; files: number } {
  const parent = new Map<string, string | null>([[entry, null]]);
  const chains: string[][] = [];
  const chainTo = (file: string): string[] => {
    const chain: string[] = [];
    for (let at: string | null | undefined = file; at; at = parent.get(at)) chain.unshift(at);
    return chain;
  };
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const specifier of bundledSpecifiers(readFileSync(join(ROOT, file), "utf8"))) {
      const runtime = runtimeModule(specifier);
      if (runtime !== null) {
        chains.push([...chainTo(file), runtime]);
        continue;
      }
      const target = resolveSpecifier(file, specifier);
      const path = target === null ? null : sourceFileOf(target);
      if (!path?.endsWith(".ts") || parent.has(path)) continue;
      parent.set(path, file);
      queue.push(path);
    }
  }
  return { chains, files: parent.size };
}

describe("Worker imports", () => {
  test("type-only imports are not kept; values, re-exports and import() are", () => {
    const source = [
      'import type { A } from "node:fs";',
      'export type { B } from "./b.ts";',
      'import { c, type D } from "./c.ts";',
      'export * from "./e.ts";',
      'const g = await import("./g.ts");',
    ].join("\n");
    expect(bundledSpecifiers(source)).toEqual(["./c.ts", "./e.ts", "./g.ts"]);
    expect(runtimeModule("node:fs/promises")).toBe("node:fs");
    expect(runtimeModule("child_process")).toBe("node:child_process");
    expect(runtimeModule("bun:sqlite")).toBe("bun:sqlite");
    expect(runtimeModule("hono")).toBeNull();
    expect([...nodeModulesProvided([])]).toEqual(["process"]);
    expect(nodeModulesProvided(["nodejs_compat"]).has("fs")).toBe(true);
    expect(nodeModulesProvided(["nodejs_compat"]).has("child_process")).toBe(false);
  });

  test("every Worker entry has a wrangler config", () => {
    const entries = readdirSync(join(ROOT, "services"), { withFileTypes: true })
      .filter((dir) => dir.isDirectory())
      .flatMap((dir) => {
        const folder = `services/${dir.name}/src/entry`;
        try {
          return readdirSync(join(ROOT, folder)).map((name) => `${folder}/${name}`);
        } catch {
          return [];
        }
      })
      .filter((path) => /worker[^/]*\.ts$/.test(path) && !isTestSupport(path));
    expect(entries.length).toBeGreaterThanOrEqual(3);
    const mains = new Set(workers().map((w) => w.entry));
    expect(entries.filter((entry) => !mains.has(entry))).toEqual([]);
  });

  for (const worker of workers()) {
    test(`${worker.config}: its Worker imports only node: modules workerd provides`, () => {
      const provided = nodeModulesProvided(worker.flags);
      const { chains, files } = runtimeImports(worker.entry);
      // A broken walk would pass by seeing nothing.
      expect(files).toBeGreaterThan(20);
      const missing = chains
        .filter((chain) => !provided.has((chain.at(-1) as string).replace(/^node:/, "")))
        .map((chain) => `${chain.join(" → ")} (flags: ${worker.flags.join(", ") || "none"})`);
      expect([...new Set(missing)]).toEqual([]);
    });
  }
});
