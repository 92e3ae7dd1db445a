// Launchers that start a service as a real process under Bun, Node, Deno or workerd, on a
// free port, and wait for `/health`. A runtime that cannot start makes the launch fail loudly.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import {
  binDir,
  bundleWorker,
  type LocalHyperdrive,
  repoRoot,
  type WorkerBundle,
  workerBindings,
  writeWorkerdConfig,
} from "../../scripts/workerd/index.ts";

export const runtimeNames = ["bun", "node", "deno", "workerd"] as const;
export type RuntimeName = (typeof runtimeNames)[number];
export type ServiceName = "forecast" | "decision";

export interface RunningService {
  runtime: RuntimeName;
  service: ServiceName;
  baseUrl: string;
  /** The process started (workerd's own, Node's, Deno's or Bun's; no wrapper between). */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 3 s) if it has not exited. */
  stop(killAfterMs?: number): Promise<void>;
}

const entry = (service: ServiceName, file: string) =>
  join(repoRoot, "services", service, "src", "entry", file);

// Bun runs this suite, so its own binary is at hand; elsewhere use the npm-installed one.
const bunBinary = process.versions.bun ? process.execPath : join(binDir, "bun");

/** One bundle per service, shared by every workerd instance of it. */
const bundles = new Map<ServiceName, Promise<WorkerBundle>>();
const bundleDirs: string[] = [];

function workerBundle(
  service: ServiceName,
  buildEnv: Record<string, string> = {},
): Promise<WorkerBundle> {
  let bundle = bundles.get(service);
  if (!bundle) {
    const outDir = mkdtempSync(join(tmpdir(), `pp-conformance-${service}-`));
    bundleDirs.push(outDir);
    bundle = bundleWorker(service, outDir, { env: buildEnv });
    bundles.set(service, bundle);
  }
  return bundle;
}

export function removeWorkerBundles(): void {
  for (const dir of bundleDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  bundles.clear();
}

export interface StartOptions {
  timeoutMs?: number;
  /** The port to listen on (default: a free one); a taken port tests the start-up error. */
  port?: number;
  /** workerd: the environment of the build step (e.g. FORECAST_BUNDLE_FROM). */
  buildEnv?: Record<string, string>;
  /** workerd: a HYPERDRIVE binding to this PostgreSQL URL (served with --experimental). */
  hyperdrive?: LocalHyperdrive;
}

async function command(
  runtime: RuntimeName,
  service: ServiceName,
  port: number,
  env: Record<string, string>,
  options: StartOptions,
): Promise<string[]> {
  switch (runtime) {
    case "bun":
      return [bunBinary, entry(service, "bun.ts")];
    case "node":
      return ["node", "--import", "tsx", entry(service, "node.ts")];
    case "deno":
      return [
        join(binDir, "deno"),
        "run",
        "--no-lock",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        // decision keeps its PGlite database on disk; never prompt (a prompt blocks the process)
        "--allow-write",
        "--allow-sys",
        // the embedded store's lock names its host's pid: checking it is alive needs run access
        "--allow-run",
        "--no-prompt",
        entry(service, "deno.ts"),
      ];
    case "workerd": {
      const bundle = await workerBundle(service, options.buildEnv);
      const config = writeWorkerdConfig(bundle, {
        name: `${service}-${port}`,
        address: `127.0.0.1:${port}`,
        bindings: workerBindings(service, env),
        ...(options.hyperdrive ? { hyperdrive: options.hyperdrive } : {}),
      });
      return [
        join(binDir, "workerd"),
        "serve",
        ...(options.hyperdrive ? ["--experimental"] : []),
        config,
      ];
    }
  }
}

const live = new Set<ChildProcess>();
// If the runner dies mid-suite, do not leave servers behind.
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export async function startService(
  runtime: RuntimeName,
  service: ServiceName,
  extraEnv: Record<string, string> = {},
  options: StartOptions = {},
): Promise<RunningService> {
  const port = options.port ?? (await freePort());
  const env = { LOG_LEVEL: "info", ...extraEnv, PORT: String(port), HOST: "127.0.0.1" };
  const [file, ...args] = await command(runtime, service, port, env, options);
  const chunks: string[] = [];
  const child = spawn(file as string, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.stdout?.on("data", (chunk) => chunks.push(String(chunk)));
  child.stderr?.on("data", (chunk) => chunks.push(String(chunk)));
  const exited = new Promise<string>((resolve) => {
    child.on("error", (err) => resolve(`could not start: ${err.message}`));
    child.on("exit", (code, signal) => resolve(`exited with ${signal ?? code}`));
  });
  const output = () => chunks.join("");
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async (killAfterMs = 3000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    await exited;
    clearTimeout(timer);
    live.delete(child);
  };

  const label = `${service} on ${runtime} (${[file, ...args].join(" ")})`;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    const early = await Promise.race([exited, new Promise<null>((r) => setTimeout(r, 150, null))]);
    if (early !== null) {
      live.delete(child);
      throw new Error(`${label} ${early} before answering /health:\n${output()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { runtime, service, baseUrl, pid: child.pid ?? 0, output, stop };
      lastProblem = `/health answered ${res.status}`;
    } catch (err) {
      lastProblem = err instanceof Error ? err.message : String(err);
    }
  }
  await stop();
  throw new Error(`${label} did not become healthy (${lastProblem}):\n${output()}`);
}
