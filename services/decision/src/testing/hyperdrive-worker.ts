// Test support for decision Worker tests on workerd with Hyperdrive: a throwaway PostgreSQL
// cluster migrated as a deploy does, the forecast contract stub, the Worker's bundle, and workerd
// processes serving it on free ports; close() stops and removes them all.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, stopProc } from "@pp/shared/testing/processes.ts";
import { ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import {
  binDir,
  bundleWorker,
  type WorkerBundle,
  writeWorkerdConfig,
} from "../../../../scripts/workerd/bundle.ts";
import { forecastContractStub } from "./forecast-contract-stub.ts";

export interface DecisionWorkerd {
  url: string;
  stop(): Promise<void>;
  /** workerd's stdout and stderr so far (the Worker's log lines). */
  output(): string;
}

export interface HyperdriveStack {
  pg: ThrowawayPostgres;
  /** The cluster's database, read and written by the test beside the Worker. */
  handle: DatabaseHandle;
  bundle: WorkerBundle;
  /** The forecast contract stub's URL (FORECAST_URL). */
  forecastUrl: string;
  /**
   * workerd serving the bundle with `bindings` (and a HYPERDRIVE binding to the cluster unless
   * `hyperdrive` is false), once `readyPath` (default /health) answers 2xx.
   */
  start(
    bindings: Record<string, string>,
    options?: { hyperdrive?: boolean; readyPath?: string },
  ): Promise<DecisionWorkerd>;
  close(): Promise<void>;
}

/** The cluster, the stub and the bundle; what was made is removed again if a step fails. */
export async function openHyperdriveStack(postgresBin: string): Promise<HyperdriveStack> {
  const workers: DecisionWorkerd[] = [];
  let pg: ThrowawayPostgres | undefined;
  let handle: DatabaseHandle | undefined;
  let forecast: ReturnType<typeof Bun.serve> | undefined;
  let outDir: string | undefined;
  const close = async () => {
    for (const worker of workers) await worker.stop();
    forecast?.stop(true);
    await handle?.close().catch(() => {});
    pg?.destroy();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  };
  try {
    pg = ThrowawayPostgres.create(postgresBin);
    // Migrations run at deploy time (npm run db:migrate), never inside the Worker.
    handle = await createDatabase({ databaseUrl: pg.url, maxConnections: 2 });
    await handle.migrate();
    const stub = forecastContractStub({
      known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } },
    });
    forecast = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: stub.app.fetch });
    outDir = mkdtempSync(join(tmpdir(), "pp-decision-worker-"));
    const bundle = await bundleWorker("decision", outDir);
    const url = pg.url;
    return {
      pg,
      handle,
      bundle,
      forecastUrl: `http://127.0.0.1:${forecast.port}`,
      async start(bindings, options = {}) {
        const hyperdrive = options.hyperdrive === false ? undefined : url;
        const worker = await startWorkerd(bundle, bindings, hyperdrive, options.readyPath);
        workers.push(worker);
        return worker;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** workerd serving `bundle` on a free port, once `readyPath` answers 2xx. */
async function startWorkerd(
  bundle: WorkerBundle,
  bindings: Record<string, string>,
  hyperdriveUrl: string | undefined,
  readyPath = "/health",
): Promise<DecisionWorkerd> {
  const port = await freePort();
  const config = writeWorkerdConfig(bundle, {
    name: `decision-${port}`,
    address: `127.0.0.1:${port}`,
    bindings,
    ...(hyperdriveUrl ? { hyperdrive: { binding: "HYPERDRIVE", url: hyperdriveUrl } } : {}),
  });
  const out: string[] = [];
  const child: ChildProcess = spawn(join(binDir, "workerd"), ["serve", "--experimental", config], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => out.push(String(c)));
  child.stderr?.on("data", (c) => out.push(String(c)));
  const proc: Proc = {
    name: "workerd",
    child,
    output: out,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    // Bounded (a connection that hangs is tried again), generously: /ready reads the database.
    const ok = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (proc.exited()) throw new Error(`workerd exited:\n${out.join("")}`);
    await Bun.sleep(100);
  }
  return {
    url,
    output: () => out.join(""),
    // SIGTERM, and SIGKILL if it has not exited within 10 s.
    stop: () => stopProc(proc),
  };
}
