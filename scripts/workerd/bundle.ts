// Builds a service's Worker with `wrangler deploy --dry-run` and writes a workerd config that
// serves the bundle, so the exact artifact Cloudflare would run is tested locally with
// `workerd serve` (faster and sturdier than `wrangler dev`). Extra modules wrangler emits
// (.wasm as CompiledWasm, .onnx and other files as Data) are carried over.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parse } from "smol-toml";

export const repoRoot = resolve(import.meta.dirname, "../..");
export const binDir = join(repoRoot, "node_modules", ".bin");

export interface WorkerBundle {
  outDir: string;
  mainModule: string;
  modules: Array<{ name: string; kind: "esModule" | "commonJsModule" | "wasm" | "data" | "text" }>;
  compatibilityDate: string;
  compatibilityFlags: string[];
}

/** The top-level settings of a wrangler.toml that the workerd config needs. */
interface WranglerSettings {
  main?: string;
  compatibility_date?: string;
  compatibility_flags?: string[];
}

function moduleKind(name: string): WorkerBundle["modules"][number]["kind"] {
  if (name.endsWith(".js") || name.endsWith(".mjs")) return "esModule";
  if (name.endsWith(".cjs")) return "commonJsModule";
  if (name.endsWith(".wasm")) return "wasm";
  if (name.endsWith(".txt") || name.endsWith(".html")) return "text";
  return "data";
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Bundles `services/<service>` into `outDir` (wrangler runs under Node, as it must), with
 * `wrangler.toml` or another `config` of that service; `env` reaches its build step (e.g.
 * FORECAST_BUNDLE_FROM for the forecast model).
 */
export async function bundleWorker(
  service: string,
  outDir: string,
  options: { config?: string; env?: Record<string, string> } = {},
): Promise<WorkerBundle> {
  const serviceDir = join(repoRoot, "services", service);
  const configFile = options.config ?? "wrangler.toml";
  const settings = parse(readFileSync(join(serviceDir, configFile), "utf8")) as WranglerSettings;
  const output: string[] = [];
  const exit = await new Promise<{ code: number | null; signal: string | null }>((done, fail) => {
    const child = spawn(
      "node",
      [join(binDir, "wrangler"), "deploy", "--dry-run", "-c", configFile, "--outdir", outDir],
      {
        cwd: serviceDir,
        env: { ...process.env, ...options.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout.on("data", (chunk) => output.push(String(chunk)));
    child.stderr.on("data", (chunk) => output.push(String(chunk)));
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal }));
  });
  if (exit.code !== 0) {
    const how = exit.signal ?? exit.code;
    throw new Error(`wrangler build of ${service} failed (${how}):\n${output.join("")}`);
  }

  const files = listFiles(outDir)
    .map((file) => relative(outDir, file))
    .filter((name) => !name.endsWith(".map") && name !== "README.md" && !name.endsWith(".capnp"));
  // wrangler names the bundle after the entry file (src/entry/worker-lite.ts → worker-lite.js).
  const main = settings.main ?? "worker.ts";
  const mainModule = `${basename(main).replace(/\.[cm]?[jt]s$/, "")}.js`;
  if (!files.includes(mainModule)) {
    throw new Error(`wrangler wrote no ${mainModule} in ${outDir}:\n${output.join("")}`);
  }
  return {
    outDir,
    mainModule,
    // The main module must come first in workerd's list.
    modules: [mainModule, ...files.filter((f) => f !== mainModule)].map((name) => ({
      name,
      kind: moduleKind(name),
    })),
    compatibilityDate: settings.compatibility_date ?? "2026-11-01",
    compatibilityFlags: settings.compatibility_flags ?? [],
  };
}

/**
 * Words of zod's German, French and Spanish messages found in the bundle's main module (ASCII
 * ones: esbuild writes other characters as escapes). None are expected: `import { z } from "zod"`
 * made esbuild keep every locale (~360 KiB, 30% of the decision Worker's gzipped upload);
 * `import * as z from "zod"` lets it drop them.
 */
export function foreignZodLocales(bundle: WorkerBundle): string[] {
  const code = readFileSync(join(bundle.outDir, bundle.mainModule), "utf8");
  return ["Eingabe", "invalide", "Entrada"].filter((word) => code.includes(word));
}

/** A Hyperdrive binding served by workerd itself: connections go straight to `url`'s server. */
export interface LocalHyperdrive {
  binding: string;
  /** postgres://user[:password]@host:port/database */
  url: string;
}

function hyperdriveParts(h: LocalHyperdrive) {
  const url = new URL(h.url);
  return {
    address: `${url.hostname}:${url.port || "5432"}`,
    database: decodeURIComponent(url.pathname.slice(1)),
    user: decodeURIComponent(url.username || "postgres"),
    // workerd needs one; a trust-auth server ignores it.
    password: decodeURIComponent(url.password || "unused"),
  };
}

/**
 * Writes `<outDir>/<name>.capnp` serving the bundle on `address` with text bindings, and a
 * Hyperdrive binding when asked (then run `workerd serve --experimental`).
 */
export function writeWorkerdConfig(
  bundle: WorkerBundle,
  options: {
    name: string;
    address: string;
    bindings: Record<string, string>;
    hyperdrive?: LocalHyperdrive;
  },
): string {
  const q = (s: string) => JSON.stringify(s);
  const h = options.hyperdrive ? hyperdriveParts(options.hyperdrive) : undefined;
  const modules = bundle.modules
    .map((m) => `      (name = ${q(m.name)}, ${m.kind} = embed ${q(m.name)})`)
    .join(",\n");
  const bindings = [
    ...Object.entries(options.bindings).map(
      ([name, value]) => `      (name = ${q(name)}, text = ${q(value)})`,
    ),
    ...(h && options.hyperdrive
      ? [
          `      (name = ${q(options.hyperdrive.binding)}, hyperdrive = (designator = "postgres", ` +
            `database = ${q(h.database)}, user = ${q(h.user)}, password = ${q(h.password)}, scheme = "postgresql"))`,
        ]
      : []),
  ].join(",\n");
  const postgresService = h
    ? `\n    (name = "postgres", external = (address = ${q(h.address)}, tcp = ())),`
    : "";
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches may reach loopback and private hosts (e.g. the forecast service).
    (name = "internet", network = (allow = ["public", "private", "local"])),${postgresService}
  ],
  sockets = [(name = "http", address = ${q(options.address)}, http = (), service = "main")],
);

const worker :Workerd.Worker = (
  modules = [
${modules}
  ],
  compatibilityDate = ${q(bundle.compatibilityDate)},
  compatibilityFlags = [${bundle.compatibilityFlags.map(q).join(", ")}],
  bindings = [
${bindings}
  ],
  globalOutbound = "internet",
);
`;
  const path = join(bundle.outDir, `${options.name}.capnp`);
  writeFileSync(path, config);
  return path;
}
