// A forecast service process started while its PostgreSQL is down: it must stay up (liveness 200,
// readiness 503 as JSON, never a crash) and serve the production model within seconds of the
// database's return, not at its next poll (10 minutes here). Real processes on a throwaway
// cluster; ModelHolder's first-load retries (1, 2, 4, 8, 16 s) are what bring it up.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, runBun, startBun, stopProc } from "@pp/shared/testing/processes.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";

setDefaultTimeout(180_000);

const bin = postgresBinDirOrWarn("the forecast start-during-outage test");
const root = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "pp-forecast-start-outage-"));
let cluster: ThrowawayPostgres | null = null;
let service: Proc | null = null;
afterAll(async () => {
  if (service) await stopProc(service, "SIGKILL");
  cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Status and JSON body of a GET, or status 0 when nothing answered. */
async function probe(url: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url).catch(() => null);
  if (!res) return { status: 0, json: null };
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    return { status: res.status, json: text };
  }
}

test.skipIf(bin === null)(
  "started with PostgreSQL down: up and 503 meanwhile, serving the production model seconds after PostgreSQL returns",
  async () => {
    cluster = ThrowawayPostgres.create(bin as string);
    const env = { DATABASE_URL: cluster.url, DATA_DIR: dataDir, HOST: "127.0.0.1" };
    const registered = await runBun(join(root, "ml/cli.ts"), ["demo-model"], env, {
      cwd: dataDir,
    });
    expect(registered.status).toBe(0);
    cluster.stop();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    service = startBun("forecast", join(root, "services/forecast/src/entry/bun.ts"), {
      ...env,
      PORT: String(port),
      MODEL_POLL_INTERVAL_MS: "600000",
    });
    // Down for 4 s after the service is listening: liveness answers, readiness says why not.
    const listening = performance.now() + 60_000;
    while ((await probe(`${base}/health`)).status !== 200) {
      if (performance.now() > listening) throw new Error(service.output.slice(-20).join("\n"));
      await Bun.sleep(100);
    }
    await Bun.sleep(4_000);
    const whileDown = await probe(`${base}/ready`);
    expect(whileDown.status).toBe(503);
    expect(typeof whileDown.json).toBe("object");
    expect(service.exited()).toBe(false);

    cluster.start();
    const back = performance.now();
    let ready = await probe(`${base}/ready`);
    while (ready.status !== 200 && performance.now() - back < 40_000) {
      await Bun.sleep(100);
      ready = await probe(`${base}/ready`);
    }
    const seconds = (performance.now() - back) / 1000;
    // Retries at 1, 2, 4, 8 and 16 s after the first failure: the database is back ~5 s in,
    // so the 8 s retry (or the 16 s one on a slow machine) loads it. Before: the 10-minute poll.
    expect(ready.status).toBe(200);
    expect(seconds).toBeLessThan(30);
    const info = await probe(`${base}/model-info`);
    expect((info.json as { version: number }).version).toBe(1);
    const forecast = await fetch(`${base}/forecast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        horizon: { value: 13, unit: "week" },
        customers: [{ id: "c", summary: { frequency: 2, recency: 20, T: 30, monetary: 25 } }],
      }),
    });
    expect(forecast.status).toBe(200);
    await forecast.arrayBuffer();
    console.log(`forecast ready ${seconds.toFixed(1)} s after PostgreSQL started`);
  },
);
