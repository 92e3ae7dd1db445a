// `npm run ml -- publish NAME [VERSION] --target cloudflare [--local [--persist-to DIR]]`: uploads
// a registered version's exported bundle to the R2 bucket MODEL_ARTIFACTS under
// <model>/<version>/<slot>/ and then flips the KV pointer MODEL_POINTER (publish-bundle.ts), so
// running forecast Workers (MODEL_SOURCE=r2) switch to it on a later request, without a
// redeploy. The version defaults to the production one. Remote: wrangler's CLI (`r2 object put`,
// `kv key put`, needs CLOUDFLARE_API_TOKEN); --local: wrangler's local state, what `wrangler dev`
// reads. With `--erased 2,3` (run by `ml forget --republish`) it takes erased customers out of the
// Workers' R2 instead (erase-published.ts); with `--follow` it keeps publishing production
// (follow-production.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { createDatabase, databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { whenParentGone } from "@pp/shared/process/parent-watch.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { withPublishLease } from "@pp/shared/registry/publish-leases.ts";
import { parseVersionNumber, VERSION_FORMAT } from "@pp/shared/registry/version-number.ts";
import { BUNDLE_INDEX, bundleIdentity } from "../src/model/exported-bundle.ts";
import { publishBundle } from "../src/model/publish-bundle.ts";
import { workerMemoryProblem } from "../src/model/worker-memory.ts";
import { exportBundleFiles } from "./export-bundle.ts";
import { readModelBindings } from "./wrangler-bindings.ts";

const forecastDir = resolve(import.meta.dirname, "..");
const repoRoot = resolve(forecastDir, "../..");
const wranglerBin = join(repoRoot, "node_modules", ".bin", "wrangler");

/** Where a publication goes: wrangler's local state or the account, through which config. */
export type PublishWhere = Omit<PublishOptions, "name" | "version" | "target">;
/** The wrangler config with the bindings (default: the forecast one). */
export const wranglerConfig = (options: PublishWhere) =>
  resolve(options.config ?? join(forecastDir, "wrangler.toml"));
/** wrangler dev's --persist-to directory (default: the forecast service's). */
export const persistDir = (options: PublishWhere) =>
  resolve(options.persistTo ?? join(forecastDir, ".wrangler", "state"));

/** Runs one of this folder's Node scripts on wrangler's local state; resolves to its last line. */
export async function runLocalScript(script: string, args: string[]): Promise<string> {
  const out = await run(
    "node",
    ["--import", "tsx", join(forecastDir, "scripts", script), ...args],
    repoRoot,
  );
  return out.trim().split("\n").at(-1) ?? "";
}

/** Runs wrangler's CLI (under Node) from the repository root. */
export function runWrangler(args: string[]): Promise<string> {
  return run("node", [wranglerBin, ...args], repoRoot);
}

export interface PublishOptions {
  name: string;
  version?: number;
  target: "cloudflare";
  /** Write wrangler's local state instead of the Cloudflare account. */
  local?: boolean;
  /** wrangler's --persist-to directory (default services/forecast/.wrangler/state). */
  persistTo?: string;
  /** The wrangler config with the MODEL_ARTIFACTS and MODEL_POINTER bindings. */
  config?: string;
  /** The term of the publish lease, in seconds (PP_PUBLISH_LEASE_SECONDS; default 30). */
  leaseSeconds?: number;
  /** Publish the model without its stored customers (lookups by id answer unknown_customer). */
  withoutCustomers?: boolean;
}

/** Runs a command; resolves to its output, rejects with it on a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((done, fail) => {
    const out: string[] = [];
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c) => out.push(String(c)));
    child.stderr.on("data", (c) => out.push(String(c)));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0
        ? done(out.join(""))
        : fail(new Error(`${[cmd, ...args].join(" ")} failed (${code}):\n${out.join("")}`)),
    );
  });
}

/** The value of a KV key in the account's MODEL_POINTER namespace, through wrangler (null: none). */
export async function remotePointerValue(key: string, config: string): Promise<string | null> {
  const args = ["kv", "key", "get", "--binding", "MODEL_POINTER", key, "--text"];
  const out = await runWrangler([...args, "--remote", "-c", config]);
  return /Value not found/i.test(out) ? null : out;
}

/** wrangler's CLI standing in for the account's R2 and KV bindings (one call per object). */
export function wranglerTarget(config: string) {
  const bucket = readModelBindings(config).bucketName;
  const remote = ["--remote", "-c", config];
  return {
    bucket: {
      async put(key: string, value: Uint8Array) {
        // wrangler uploads a file: the object goes through one of its own, removed after.
        const dir = mkdtempSync(join(tmpdir(), "pp-publish-"));
        try {
          const file = join(dir, "object");
          writeFileSync(file, value);
          await runWrangler(["r2", "object", "put", `${bucket}/${key}`, "--file", file, ...remote]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      delete: (key: string) =>
        runWrangler(["r2", "object", "delete", `${bucket}/${key}`, ...remote]),
    },
    pointer: {
      get: (key: string) => remotePointerValue(key, config),
      put: (key: string, value: string) =>
        runWrangler(["kv", "key", "put", "--binding", "MODEL_POINTER", key, value, ...remote]),
    },
  };
}

/**
 * Refuses, before anything is written, a bundle no Worker could load: past the isolate's 128 MB
 * the Worker is killed at its first request (Cloudflare's error 1102), and workerd locally has no
 * such limit, so `wrangler dev` would have served it.
 */
export function checkWorkerMemory(files: Map<string, Uint8Array>, name: string, version: number) {
  const sizes = [...files].map(([file, bytes]) => ({ name: file, bytes: bytes.length }));
  const problem = workerMemoryProblem(sizes);
  if (!problem) return;
  throw new Error(
    `${name} v${version} was not published: ${problem}. Publish it without them ` +
      `(\`ml publish ${name} ${version} --target cloudflare --without-customers\`: lookups by id ` +
      "then answer unknown_customer, summaries and transactions are forecast as before), " +
      "or serve lookups by id from the forecast service on Bun, Node or Deno",
  );
}

/** Publishes the exported files (publish-bundle.ts's steps); resolves to the pointer value written. */
export async function publishFiles(
  files: Map<string, Uint8Array>,
  name: string,
  version: number,
  options: PublishWhere,
): Promise<string> {
  checkWorkerMemory(files, name, version);
  const config = wranglerConfig(options);
  if (!options.local) return publishBundle(wranglerTarget(config), name, version, files);
  const dir = mkdtempSync(join(tmpdir(), "pp-publish-"));
  try {
    for (const [file, bytes] of files) writeFileSync(join(dir, file), bytes);
    const args = [config, persistDir(options), dir, name, String(version)];
    return await runLocalScript("cloudflare-local-put.ts", args);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Opens the registry (DATABASE_URL or PGlite in DATA_DIR, migrated), runs `work`, closes it. */
export async function withRegistry<T>(
  work: (registry: ModelRegistry, db: Database) => Promise<T>,
): Promise<T> {
  const handle = await createDatabase(databaseOptionsFromEnv(process.env));
  try {
    await handle.migrate();
    const store = openArtifactStore(artifactStoreLocationFromEnv(process.env));
    return await work(new ModelRegistry(handle.db, store), handle.db);
  } finally {
    await handle.close();
  }
}

/** The publish lease's options for these publish options (publish-leases.ts). */
export function leaseOptions(options: PublishOptions, print: (line: string) => void) {
  return {
    ...(options.leaseSeconds ? { seconds: options.leaseSeconds } : {}),
    onWait: (holder: string) =>
      print(`${options.name}: waiting for ${holder}, who is publishing it`),
  };
}

/** Exports the version from the registry and publishes it, holding the model's publish lease. */
export function publishCommand(
  options: PublishOptions,
  print: (line: string) => void = console.log,
): Promise<string> {
  return withRegistry((registry, db) => publishVersion(registry, db, options, print));
}

/** publishCommand on a registry already open (an erasure republishes inside its own lease). */
export function publishVersion(
  registry: ModelRegistry,
  db: Database,
  options: PublishOptions,
  print: (line: string) => void,
): Promise<string> {
  const { name } = options;
  const publish = async () => {
    const files = await exportBundleFiles(registry, db, name, options.version, {
      customers: !options.withoutCustomers,
    });
    const identity = bundleIdentity(files.get(BUNDLE_INDEX) as Uint8Array);
    if (!identity) throw new Error(`${name}: the exported ${BUNDLE_INDEX} names no version`);
    const { version } = identity;
    const pointer = await publishFiles(files, name, version, options);
    // The directory in full: a relative --persist-to is the repository's (npm runs ml there), not
    // that of a `wrangler dev --persist-to` started in services/forecast, and nothing said so.
    const where = options.local ? `wrangler's local state in ${persistDir(options)}` : "Cloudflare";
    const without = options.withoutCustomers ? " without stored customers" : "";
    print(`published ${name} v${version}${without} to R2 and KV (${where}): ${pointer}`);
    return pointer;
  };
  return withPublishLease(db, name, publish, leaseOptions(options, print));
}

/** The options as the command line gives them (`ml publish`, `ml forget --republish`). */
type PublishCliOptions = Partial<
  Record<"target" | "persistTo" | "config" | "erased" | "interval", string>
> & {
  local?: boolean | string;
  follow?: boolean | string;
  withoutCustomers?: boolean | string;
};

/** The `ml publish` action: checks the arguments, then publishes. */
export async function publishFromCli(
  name: string,
  versionText: string | undefined,
  o: PublishCliOptions,
): Promise<void> {
  if (o.target !== "cloudflare") {
    throw new RangeError(`--target: only "cloudflare" is supported (got "${o.target}")`);
  }
  const version = versionText === undefined ? undefined : parseVersionNumber(versionText);
  if (version === null) {
    throw new RangeError(`version: expected ${VERSION_FORMAT}, got "${versionText}"`);
  }
  const leaseText = process.env.PP_PUBLISH_LEASE_SECONDS;
  const leaseSeconds = leaseText ? Number(leaseText) : undefined;
  if (leaseSeconds !== undefined && !(leaseSeconds >= 1 && leaseSeconds <= 3600)) {
    throw new RangeError(
      `PP_PUBLISH_LEASE_SECONDS: expected seconds between 1 and 3600, got "${leaseText}"`,
    );
  }
  const options: PublishOptions = {
    name,
    target: "cloudflare",
    ...(leaseSeconds !== undefined ? { leaseSeconds } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(o.local ? { local: true } : {}),
    ...(o.persistTo ? { persistTo: o.persistTo } : {}),
    ...(o.config ? { config: o.config } : {}),
    ...(o.withoutCustomers ? { withoutCustomers: true } : {}),
  };
  if (o.follow) {
    await followFromCli(options, version, o);
    return;
  }
  if (o.erased === undefined) {
    await publishCommand(options);
    return;
  }
  const versions = o.erased.split(",").map(parseVersionNumber);
  if (version !== undefined || !versions.every((v): v is number => v !== null)) {
    throw new RangeError(
      `--erased: expected versions such as 2,3 and no version argument, got "${o.erased}"`,
    );
  }
  const { eraseFromWorkers } = await import("./erase-published.ts");
  await eraseFromWorkers({ ...options, versions });
}

/** `--follow`: runs until SIGTERM or SIGINT (follow-production.ts). */
async function followFromCli(
  options: PublishOptions,
  version: number | undefined,
  o: PublishCliOptions,
): Promise<void> {
  if (version !== undefined || o.erased !== undefined) {
    throw new RangeError(
      "--follow: publishes the production version; pass no version and no --erased",
    );
  }
  const seconds = o.interval === undefined ? 30 : Number(o.interval);
  if (!(Number.isFinite(seconds) && seconds >= 0.1 && seconds <= 86_400)) {
    throw new RangeError(`--interval: expected seconds between 0.1 and 86400, got "${o.interval}"`);
  }
  const stop = new AbortController();
  process.once("SIGTERM", () => stop.abort());
  process.once("SIGINT", () => stop.abort());
  // Started by `ml publish --follow`: a follower outliving it (ml killed with SIGKILL) would run
  // unseen, and a second one would be started beside it.
  const parent = Number(process.env.PP_PUBLISH_PARENT_PID);
  const unwatch =
    parent > 0
      ? whenParentGone(parent, () => {
          console.log(
            `${options.name}: the ml process that started this follower is gone; stopping`,
          );
          stop.abort();
        })
      : () => {};
  const { followProduction } = await import("./follow-production.ts");
  try {
    await followProduction({ ...options, intervalMs: Math.round(seconds * 1000) }, stop.signal);
  } finally {
    unwatch();
  }
}

if (import.meta.main) {
  // Run by `ml publish` (ml/pipelines/run-forecast-publish.ts) with its parsed arguments.
  const { Command } = await import("commander");
  const program = new Command("publish")
    .argument("<name>")
    .argument("[version]")
    .requiredOption("--target <target>")
    .option("--local")
    .option("--persist-to <dir>")
    .option("--config <file>")
    .option("--erased <versions>")
    .option("--follow")
    .option("--interval <seconds>")
    .option("--without-customers")
    .action(async (name: string, version: string | undefined, o: Record<string, string>) => {
      await publishFromCli(name, version, o);
    });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
