// Both services as real Bun processes on 127.0.0.1 (free ports): forecast serving the demo bundle
// from a temp directory, decision on PGlite in a temp directory calling forecast over HTTP.
// Used by the real-process fault/property tests and by bench/soak.ts; stop() ends both.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { keepLines } from "@pp/shared/testing/processes.ts";
import { writeDemoBundleDir } from "./in-process-services.ts";

const root = resolve(import.meta.dirname, "../..");
export const API_KEY = "reliability-key-0123456789";

export interface ServiceProcess {
  name: string;
  base: string;
  child: ChildProcess;
  pid: number;
  /** Lines the process wrote to stderr (and stdout, when captured). */
  output: string[];
  exited(): boolean;
}

/** Resident memory of a process in bytes (VmRSS in /proc/<pid>/status; Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

async function waitFor(url: string, ok: (res: Response) => boolean, what: string, ms = 90_000) {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (ok(res)) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready: ${last}`);
}

export function startProcess(
  name: string,
  env: Record<string, string>,
  port: number,
): ServiceProcess {
  const child = spawn(process.execPath, [join(root, "services", name, "src/entry/bun.ts")], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "error", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  keepLines(child.stdout, output, 2000);
  keepLines(child.stderr, output, 2000);
  return {
    name,
    base: `http://127.0.0.1:${port}`,
    child,
    pid: child.pid as number,
    output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

export interface ServiceProcesses {
  forecast: ServiceProcess;
  decision: ServiceProcess;
  knownIds: string[];
  stop(): Promise<void>;
}

export async function startServiceProcesses(
  env: { forecast?: Record<string, string>; decision?: Record<string, string> } = {},
): Promise<ServiceProcesses> {
  const bundleDir = await writeDemoBundleDir();
  const dataDir = mkdtempSync(join(tmpdir(), "pp-reliability-decision-"));
  const knownIds = (
    JSON.parse(readFileSync(join(bundleDir, "customers.json"), "utf8")) as { ids: string[] }
  ).ids;
  const forecast = startProcess(
    "forecast",
    { MODEL_SOURCE: `bundle:${bundleDir}`, MODEL_POLL_INTERVAL_MS: "0", ...env.forecast },
    await freePort(),
  );
  const decision = startProcess(
    "decision",
    { FORECAST_URL: forecast.base, API_KEYS: API_KEY, DECISION_DATA_DIR: dataDir, ...env.decision },
    await freePort(),
  );
  const stop = async () => {
    for (const p of [decision, forecast]) {
      if (!p.exited()) {
        p.child.kill("SIGTERM");
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            p.child.kill("SIGKILL");
            r();
          }, 6000);
          p.child.once("exit", () => {
            clearTimeout(t);
            r();
          });
        });
      }
    }
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(`${forecast.base}/ready`, (r) => r.ok, "forecast");
    await waitFor(`${decision.base}/health`, (r) => r.ok, "decision");
    // The decision database (PGlite) opens on first use: wait for a real decision.
    const body = JSON.stringify({
      customer: { id: knownIds[0] },
      horizon: { value: 4, unit: "week" },
      actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const res = await fetch(`${decision.base}/decision`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body,
      });
      await res.text();
      if (res.ok) break;
      if (Date.now() > deadline) throw new Error(`decision answers ${res.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { forecast, decision, knownIds, stop };
}
