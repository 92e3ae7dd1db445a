// Starts the forecast service (Bun entry of a checkout: this one or a baseline copy) as a real
// process serving a bundle directory, and waits for a URL of it to answer OK. Shared by the
// forecast benches so they measure the same kind of server.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../shared/testing/free-port.ts";

export interface ForecastServer {
  base: string;
  child: ChildProcess;
}

/** Polls `${base}${path}` every 200 ms until it answers OK, or throws after `timeoutMs`. */
export async function waitReady(base: string, path = "/ready", timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${base}${path}`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${base} did not become ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The forecast service of `checkout` on a free port, serving `bundle`, once /ready answers OK. */
export async function startForecastServer(
  checkout: string,
  bundle: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ForecastServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(checkout, "services/forecast/src/entry/bun.ts")], {
    cwd: checkout,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      MODEL_SOURCE: `bundle:${bundle}`,
      MODEL_POLL_INTERVAL_MS: "0",
      ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitReady(base, "/ready", timeoutMs);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  return { base, child };
}
