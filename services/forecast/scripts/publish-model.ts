// `npm run ml -- publish NAME [VERSION] --target cloudflare [--local [--persist-to DIR]]`: uploads
// a registered version's exported bundle to the R2 bucket MODEL_ARTIFACTS under
// <model>/<version>/ and then flips the KV pointer MODEL_POINTER, so running forecast Workers
// (MODEL_SOURCE=r2) switch to it on a later request, without a redeploy. The version defaults to
// the production one. Remote: wrangler's CLI (`r2 object put`, `kv key put`, needs
// CLOUDFLARE_API_TOKEN); --local: wrangler's local state, what `wrangler dev` reads. With
// `--if-serving 2,3` (run by `ml forget --republish`), it republishes the version the pointer
// names only when that is one of those versions.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  artifactStoreLocationFromEnv,
  openArtifactStore,
} from "@pp/shared/artifacts/open-artifact-store.ts";
import { createDatabase, databaseOptionsFromEnv } from "@pp/shared/db/client.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { BUNDLE_INDEX } from "../src/model/exported-bundle.ts";
import { publicationOf } from "../src/model/publish-bundle.ts";
import { type ModelPointer, parsePointer } from "../src/model/r2-source.ts";
import { exportBundleFiles } from "./export-bundle.ts";

const forecastDir = resolve(import.meta.dirname, "..");
const repoRoot = resolve(forecastDir, "../..");

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
}

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

/** The bucket_name of the MODEL_ARTIFACTS binding in a wrangler.toml. */
export function artifactBucketName(toml: string): string {
  const block = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"MODEL_ARTIFACTS"[^[]*/.exec(toml)?.[0];
  const name = block ? /bucket_name\s*=\s*"([^"]+)"/.exec(block)?.[1] : undefined;
  if (!name) throw new Error("the wrangler config has no [[r2_buckets]] MODEL_ARTIFACTS binding");
  return name;
}

/** Uploads the exported files with wrangler; resolves to the pointer value written. */
export async function publishFiles(
  files: Map<string, Uint8Array>,
  name: string,
  version: number,
  options: Omit<PublishOptions, "name" | "version" | "target">,
): Promise<string> {
  const config = resolve(options.config ?? join(forecastDir, "wrangler.toml"));
  const dir = mkdtempSync(join(tmpdir(), "pp-publish-"));
  const wrangler = join(repoRoot, "node_modules", ".bin", "wrangler");
  try {
    for (const [file, bytes] of files) writeFileSync(join(dir, file), bytes);
    if (options.local) {
      const persist = resolve(options.persistTo ?? join(forecastDir, ".wrangler", "state"));
      const script = join(forecastDir, "scripts", "cloudflare-local-put.ts");
      const out = await run(
        "node",
        ["--import", "tsx", script, config, persist, dir, name, String(version)],
        repoRoot,
      );
      return out.trim().split("\n").at(-1) ?? "";
    }
    const bucket = artifactBucketName(readFileSync(config, "utf8"));
    const { objects, pointer } = await publicationOf(name, version, files);
    for (const object of objects) {
      await run(
        "node",
        [
          wrangler,
          "r2",
          "object",
          "put",
          `${bucket}/${object.key}`,
          "--file",
          join(dir, object.name),
          "--remote",
          "-c",
          config,
        ],
        repoRoot,
      );
    }
    await run(
      "node",
      [
        wrangler,
        "kv",
        "key",
        "put",
        "--binding",
        "MODEL_POINTER",
        name,
        pointer,
        "--remote",
        "-c",
        config,
      ],
      repoRoot,
    );
    return pointer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The forecast Workers' pointer for `name` (null when none is published). */
export async function readPointer(
  name: string,
  options: Omit<PublishOptions, "name" | "version" | "target">,
): Promise<ModelPointer | null> {
  const config = resolve(options.config ?? join(forecastDir, "wrangler.toml"));
  let raw: string | null;
  if (options.local) {
    const persist = resolve(options.persistTo ?? join(forecastDir, ".wrangler", "state"));
    const script = join(forecastDir, "scripts", "cloudflare-local-pointer.ts");
    const out = await run("node", ["--import", "tsx", script, config, persist, name], repoRoot);
    raw =
      (JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { pointer?: string | null }).pointer ??
      null;
  } else {
    const wrangler = join(repoRoot, "node_modules", ".bin", "wrangler");
    const args = ["kv", "key", "get", "--binding", "MODEL_POINTER", name, "--text"];
    const out = await run("node", [wrangler, ...args, "--remote", "-c", config], repoRoot);
    raw = /Value not found/i.test(out) ? null : out;
  }
  if (raw === null) return null;
  const pointer = parsePointer(raw);
  if (!pointer) throw new Error(`the MODEL_POINTER value of "${name}" is not a pointer: ${raw}`);
  return pointer;
}

/**
 * Publishes again the version the Workers serve, when it is one of `versions` (whose stored
 * customers were erased: `ml forget --republish`), so the bundle in R2 no longer holds them and
 * the pointer's new bundle_sha256 makes running Workers reload it. Resolves to the new pointer,
 * or null when the Workers serve another version or none.
 */
export async function republishIfServing(
  options: PublishOptions & { versions: readonly number[] },
  print: (line: string) => void = console.log,
): Promise<string | null> {
  const pointer = await readPointer(options.name, options);
  const listed = options.versions.map((v) => `v${v}`).join(", ");
  if (!pointer || !options.versions.includes(pointer.version)) {
    const serving = pointer ? `v${pointer.version}` : "no published version";
    print(`${options.name}: the Workers serve ${serving}, not ${listed}: nothing to republish`);
    return null;
  }
  return publishCommand({ ...options, version: pointer.version }, (line) =>
    print(`re${line} (it held erased customers)`),
  );
}

/** Exports the version from the registry (DATABASE_URL or PGlite in DATA_DIR) and publishes it. */
export async function publishCommand(
  options: PublishOptions,
  print: (line: string) => void = console.log,
): Promise<string> {
  const handle = await createDatabase(databaseOptionsFromEnv(process.env));
  let files: Map<string, Uint8Array>;
  let version: number;
  try {
    await handle.migrate();
    const registry = new ModelRegistry(
      handle.db,
      openArtifactStore(artifactStoreLocationFromEnv(process.env)),
    );
    files = await exportBundleFiles(registry, handle.db, options.name, options.version);
    const index = JSON.parse(new TextDecoder().decode(files.get(BUNDLE_INDEX))) as {
      identity: { version: number };
    };
    version = index.identity.version;
  } finally {
    await handle.close();
  }
  const pointer = await publishFiles(files, options.name, version, options);
  const where = options.local ? "wrangler's local state" : "Cloudflare";
  print(`published ${options.name} v${version} to R2 and KV (${where}): ${pointer}`);
  return pointer;
}

/** The options as the command line gives them (`ml publish`, `ml forget --republish`). */
type PublishCliOptions = Partial<
  Record<"target" | "persistTo" | "config" | "ifServing", string>
> & {
  local?: boolean | string;
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
  const version = versionText === undefined ? undefined : Number(versionText);
  if (version !== undefined && !(Number.isInteger(version) && version > 0)) {
    throw new RangeError(`version: expected a positive integer, got "${versionText}"`);
  }
  const options: PublishOptions = {
    name,
    target: "cloudflare",
    ...(version !== undefined ? { version } : {}),
    ...(o.local ? { local: true } : {}),
    ...(o.persistTo ? { persistTo: o.persistTo } : {}),
    ...(o.config ? { config: o.config } : {}),
  };
  if (o.ifServing === undefined) {
    await publishCommand(options);
    return;
  }
  const versions = o.ifServing.split(",").map(Number);
  if (version !== undefined || !versions.every((v) => Number.isInteger(v) && v > 0)) {
    throw new RangeError(
      `--if-serving: expected versions such as 2,3 and no version argument, got "${o.ifServing}"`,
    );
  }
  await republishIfServing({ ...options, versions });
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
    .option("--if-serving <versions>")
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
