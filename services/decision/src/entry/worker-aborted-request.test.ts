// The decision Worker (workerd, Hyperdrive, a throwaway PostgreSQL cluster) after clients hang up
// mid-request: on Workers a promise belongs to the request that made it, so work one request began
// and others joined (the API keys' re-read, the policy read, a keyed decision in flight) must not
// outlive it shared. It did: every later request was a 500 "This promise was created by a
// request that has since ended", for good.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { binDir, bundleWorker, writeWorkerdConfig } from "../../../../scripts/workerd/bundle.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const bin = postgresBinDirOrWarn("the decision Worker aborted-request test");
const KEY = "worker-key";

describe.skipIf(!bin)("decision Worker after requests aborted mid-flight", () => {
  let pg: ThrowawayPostgres;
  let handle: DatabaseHandle;
  let outDir: string;
  let forecast: ReturnType<typeof Bun.serve>;
  let child: ChildProcess;
  let url: string;
  const output: string[] = [];

  beforeAll(async () => {
    pg = ThrowawayPostgres.create(bin as string);
    handle = await createDatabase({ databaseUrl: pg.url, maxConnections: 2 });
    await handle.migrate();
    const stub = forecastContractStub({
      known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } },
    });
    forecast = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: stub.app.fetch });
    outDir = mkdtempSync(join(tmpdir(), "pp-decision-worker-"));
    const bundle = await bundleWorker("decision", outDir);
    const port = await freePort();
    const config = writeWorkerdConfig(bundle, {
      name: `decision-${port}`,
      address: `127.0.0.1:${port}`,
      bindings: { API_KEYS: KEY, FORECAST_URL: `http://127.0.0.1:${forecast.port}` },
      hyperdrive: { binding: "HYPERDRIVE", url: pg.url },
    });
    child = spawn(join(binDir, "workerd"), ["serve", "--experimental", config], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c) => output.push(String(c)));
    child.stderr?.on("data", (c) => output.push(String(c)));
    url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await Bun.sleep(100);
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    forecast?.stop(true);
    await handle?.close().catch(() => {});
    pg?.destroy();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  }, 30_000);

  const decide = (headers: Record<string, string>, signal: AbortSignal) =>
    fetch(`${url}/decision`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({
        customer: { id: "c-1" },
        horizon: { value: 13, unit: "week" },
        actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
      }),
      signal,
    });

  test("a request hung up on while its reads are in flight leaves later requests answered", async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 12; round++) {
      // Past the keys' 1 s check: the next request starts a re-read, which others join.
      await Bun.sleep(1100);
      const key = { "Idempotency-Key": `abort-${round}` };
      await decide(key, AbortSignal.timeout(2 + (round % 6) * 3)).catch(() => null);
      const retried = await decide(key, AbortSignal.timeout(10_000));
      const plain = await decide({}, AbortSignal.timeout(10_000));
      statuses.push(retried.status, plain.status);
    }
    const errors = output.join("").match(/"status":500[^\n]*/g) ?? [];
    expect({ statuses, errors: errors.slice(0, 2) }).toEqual({
      statuses: statuses.map(() => 200),
      errors: [],
    });
  }, 120_000);
});
