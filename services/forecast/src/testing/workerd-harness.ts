// Test support for forecast Worker tests on plain workerd: a wrangler config that compiles a
// model bundle in (its build step stripped), and a workerd process on a free port.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, relative, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import {
  binDir,
  type WorkerBundle,
  writeWorkerdConfig,
} from "../../../../scripts/workerd/index.ts";
import { workerIndexModule } from "../../scripts/export-bundle.ts";

const serviceDir = resolve(import.meta.dirname, "../..");

/**
 * `wrangler.toml` (the full ORT build) or `wrangler.lite.toml`, written to `scratch` compiling in
 * `files` as its model (no build step); the path relative to the service, as bundleWorker takes.
 */
export function workerConfigWith(
  scratch: string,
  toml: "wrangler.toml" | "wrangler.lite.toml",
  files: ReadonlyMap<string, Uint8Array>,
): string {
  const dir = join(scratch, "model");
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, "index.js"), workerIndexModule([...files.keys()]));
  const text = readFileSync(join(serviceDir, toml), "utf8")
    .replace(/^\[build\]$[\s\S]*?(?=^\[)/m, "")
    .replace('"./worker-model/index.js"', JSON.stringify(join(dir, "index.js")))
    // The config moves to scratch: an alias into node_modules must not be relative to it.
    .replace('"../../node_modules/', `"${join(serviceDir, "../../node_modules")}/`)
    .replace(
      /^main = "(.+)"$/m,
      (_, main: string) => `main = ${JSON.stringify(join(serviceDir, main))}`,
    );
  const path = join(scratch, toml);
  writeFileSync(path, text);
  return relative(serviceDir, path);
}

export interface WorkerdProcess {
  url: string;
  child: ChildProcess;
  /** workerd's stdout and stderr, when asked for. */
  output: string[];
}

/** A fresh workerd (a fresh isolate) serving `build` on a free port; resolves once it listens. */
export async function startWorkerd(
  build: WorkerBundle,
  name: string,
  bindings: Record<string, string>,
  options: { keepOutput?: boolean } = {},
): Promise<WorkerdProcess> {
  const port = await freePort();
  const config = writeWorkerdConfig(build, {
    name: `${name}-${port}`,
    address: `127.0.0.1:${port}`,
    bindings,
  });
  const output: string[] = [];
  const child = spawn(join(binDir, "workerd"), ["serve", config], {
    stdio: options.keepOutput ? ["ignore", "pipe", "pipe"] : "ignore",
  });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const listening = () =>
    new Promise<boolean>((done) => {
      const socket = connect(port, "127.0.0.1");
      socket.on("connect", () => done(socket.destroy() !== undefined));
      socket.on("error", () => done(false));
    });
  for (let i = 0; i < 500 && !(await listening()); i++) await Bun.sleep(20);
  return { url: `http://127.0.0.1:${port}`, child, output };
}

/** SIGTERM, and the exit awaited (nothing if it already exited). */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}
