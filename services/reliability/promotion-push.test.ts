// Promotions pushed to a real forecast service process on a throwaway PostgreSQL cluster: the
// service polls only every 10 minutes, so every swap seen here within seconds came by LISTEN.
// The ml CLI registers and promotes, rolls back, and promotes again after the listening backend
// was terminated and after PostgreSQL was stopped and started, then forgets a stored customer
// (the version reloads without them), and promotes once more after PostgreSQL terminated the
// service's connections for 4 s; forecasts by summary go on answering throughout (counted).
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import {
  type Proc,
  runBun,
  startBun,
  stopProc,
  waitForHttp,
} from "@pp/shared/testing/processes.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import postgres from "postgres";
import { forecastItemById } from "../testing/forecast-by-id.ts";

setDefaultTimeout(600_000);

const bin = postgresBinDirOrWarn("the promotion push test");
const root = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "pp-promotion-push-"));
let cluster: ThrowawayPostgres | null = null;
let service: Proc | null = null;
afterAll(async () => {
  if (service) await stopProc(service, "SIGKILL");
  cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

/** How long a pushed promotion may take to be served: loading the version, on a busy machine. */
const SWAP_LIMIT_MS = 15_000;

test.skipIf(bin === null)(
  "a promotion, a rollback and promotions after a lost listener and a restart are served within seconds",
  async () => {
    cluster = ThrowawayPostgres.create(bin as string);
    const env = {
      DATABASE_URL: cluster.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
    };
    const cli = async (args: string[]) => {
      const run = await runBun(join(root, "ml/cli.ts"), args, env, { cwd: dataDir });
      if (run.status !== 0) throw new Error(`ml ${args.join(" ")}: ${run.stderr}`);
      return run.stdout.trim();
    };
    await cli(["demo-model"]); // v1, production
    const port = await freePort();
    service = startBun("forecast", join(root, "services/forecast/src/entry/bun.ts"), {
      ...env,
      PORT: String(port),
      MODEL_POLL_INTERVAL_MS: "600000",
    });
    const base = `http://127.0.0.1:${port}`;
    const modelInfo = async () =>
      (await (await fetch(`${base}/model-info`)).json()) as { version: number; polling: string };
    await waitForHttp(`${base}/ready`, (s) => s === 200, "forecast ready").catch((error) => {
      throw new Error(`${String(error)}\n${service?.output.slice(-20).join("\n")}`);
    });
    expect((await modelInfo()).version).toBe(1);
    const deadline = performance.now() + 20_000;
    while (!(await modelInfo()).polling.includes("LISTEN") && performance.now() < deadline) {
      await Bun.sleep(50);
    }
    expect((await modelInfo()).polling).toContain("promotions pushed (LISTEN)");

    // Forecasts by summary need no database: they must all answer, outage included.
    const statuses = new Map<number, number>();
    let loading = true;
    const loadLoop = (async () => {
      while (loading) {
        const res = await fetch(`${base}/forecast`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            horizon: { value: 13, unit: "week" },
            customers: [{ id: "c", summary: { frequency: 2, recency: 20, T: 30, monetary: 25 } }],
          }),
        }).catch(() => null);
        const status = res?.status ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await res?.arrayBuffer();
        await Bun.sleep(5);
      }
    })();

    const swaps: Record<string, number> = {};
    const servedWithin = async (label: string, version: number, started: number) => {
      const until = performance.now() + SWAP_LIMIT_MS;
      while ((await modelInfo()).version !== version) {
        if (performance.now() > until) {
          throw new Error(
            `${label}: v${version} not served\n${service?.output.slice(-20).join("\n")}`,
          );
        }
        await Bun.sleep(20);
      }
      swaps[label] = Math.round(performance.now() - started);
    };

    await cli(["simulate", "--customers", "600", "--seed", "7", "--out", "sim.csv"]);
    await cli([
      ...["train", "--data", "sim.csv", "--calibration-end", "1997-09-30"],
      ...["--holdout-end", "1998-06-30", "--out", "out", "--fast", "--folds", "2"],
      ...["--register", "purchase", "--promote"],
    ]);
    // From the CLI's exit (the commit came a little before); the others from the CLI's start.
    let started = performance.now();
    await servedWithin("train --promote (v2)", 2, started);
    started = performance.now();
    await cli(["rollback", "purchase"]);
    await servedWithin("rollback (v1)", 1, started);

    // The listening backend is terminated, then a promotion follows at once: whether its
    // notification or the catch-up after LISTEN again brings it, v2 must be served.
    const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
    const terminated = await admin`
      select pg_terminate_backend(pid) as ok from pg_stat_activity where query ilike 'listen%'`;
    await admin.end();
    expect(terminated.length).toBe(1);
    started = performance.now();
    await cli(["promote", "purchase", "2"]);
    await servedWithin("promote after the listener was cut (v2)", 2, started);

    // PostgreSQL stops for 3 s and starts again; the next promotion is pushed too.
    cluster.stop();
    await Bun.sleep(3000);
    cluster.start();
    started = performance.now();
    await cli(["promote", "purchase", "1"]);
    await servedWithin("promote after a PostgreSQL restart (v1)", 1, started);

    // Erasing a stored customer bumps the production version's customers revision: pushed too.
    // A stored customer's item answers its forecast; an unknown one, an error naming it.
    const byId = async (id: string) => {
      const { status, item } = await forecastItemById(base, id);
      return `${status} ${item}`;
    };
    expect([await byId("1"), await byId("2")]).toEqual(["200 forecast", "200 forecast"]);
    started = performance.now();
    expect(await cli(["forget", "1"])).toMatch(/stored row\(s\) under [1-9]\d* model version/);
    const until = performance.now() + SWAP_LIMIT_MS;
    while ((await byId("1")) === "200 forecast" && performance.now() < until) await Bun.sleep(20);
    swaps["forget customer 1 (v1 reloaded)"] = Math.round(performance.now() - started);
    expect([await byId("1"), await byId("2")]).toEqual(["200 unknown_customer", "200 forecast"]);
    expect((await modelInfo()).version).toBe(1);

    // PostgreSQL ends the service's connections over and over (a failover, a pooler restarting)
    // while stored customers are asked for: the process stays up, answers 200 or 503, and the
    // next promotion is still pushed. (postgres.js unmended ended the decision service so.)
    const byIdStatuses = new Map<number, number>();
    let storm = true;
    const byIdLoop = (async () => {
      while (storm) {
        const status = await forecastItemById(base, "2").then(
          (r) => r.status,
          () => 0,
        );
        byIdStatuses.set(status, (byIdStatuses.get(status) ?? 0) + 1);
        await Bun.sleep(10);
      }
    })();
    const ended = await cluster.terminateBackendsFor(4000);
    storm = false;
    await byIdLoop;
    expect(service.exited()).toBe(false);
    expect([...byIdStatuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    started = performance.now();
    await cli(["promote", "purchase", "2"]);
    await servedWithin("promote after the storm (v2)", 2, started);

    loading = false;
    await loadLoop;
    console.log(
      `promotion → served (poll 600 s): ${JSON.stringify(swaps)}; /forecast by summary: ${JSON.stringify(Object.fromEntries(statuses))}; by id while ${ended} backends were terminated: ${JSON.stringify(Object.fromEntries(byIdStatuses))}`,
    );
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(50);
    const log = service.output.join("\n");
    expect(log).toContain("promotion listener lost");
    expect(log.match(/listening for promotions/g)?.length).toBeGreaterThanOrEqual(3);
  },
);
