// The embedded default shared by real processes (issue 13's acceptance): with the forecast and
// decision services running on one DATA_DIR, the ml CLI registers and promotes v2 and the keys CLI
// creates keys; the services are stopped with SIGTERM and with kill -9 and restarted. v2 must be
// served within the poll interval and be production after the restarts, a customer erased by
// `ml forget` must be unknown to it within a poll, every key must work,
// and amcheck (every heap row in every index) plus index-vs-sequential scans find no damage.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { amcheck } from "@electric-sql/pglite/contrib/amcheck";
import { readLock } from "@pp/shared/db/embedded/server-lock.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import {
  type Proc,
  runBun,
  startBun,
  stopProc,
  waitForHttp,
} from "@pp/shared/testing/processes.ts";
import { forecastItemById } from "../testing/forecast-by-id.ts";

setDefaultTimeout(600_000);

const root = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "pp-shared-store-"));
const POLL_MS = 2000;
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) await stopProc(p, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const env = { DATA_DIR: dataDir, LOG_LEVEL: "warn", HOST: "127.0.0.1" };
const ports = { forecast: 0, decision: 0 };

function startService(name: "forecast" | "decision"): Proc {
  const proc = startBun(name, join(root, "services", name, "src/entry/bun.ts"), {
    ...env,
    PORT: String(ports[name]),
    MODEL_POLL_INTERVAL_MS: String(POLL_MS),
    FORECAST_URL: `http://127.0.0.1:${ports.forecast}`,
  });
  procs.push(proc);
  return proc;
}

const cli = async (script: string, args: string[]) => {
  const run = await runBun(join(root, script), args, env, { cwd: dataDir });
  if (run.status !== 0) throw new Error(`${script} ${args.join(" ")}: ${run.stderr}`);
  return run.stdout.trim();
};
const createKey = (name: string) => cli("services/decision/src/cli/keys.ts", ["create", name]);

const servedVersion = async () =>
  (
    JSON.parse(
      await waitForHttp(
        `http://127.0.0.1:${ports.forecast}/model-info`,
        (s) => s === 200,
        "model-info",
      ),
    ) as { version: number }
  ).version;

const waitForVersion = (version: number) =>
  waitForHttp(
    `http://127.0.0.1:${ports.forecast}/model-info`,
    (s, body) => s === 200 && (JSON.parse(body) as { version: number }).version === version,
    `forecast serving v${version}`,
  );

const decide = (key: string) =>
  fetch(`http://127.0.0.1:${ports.decision}/decision`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id: "x", summary: { frequency: 3, recency: 20, T: 30, monetary: 20 } },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 0.5, uplift: 0.15, margin: 8 }],
    }),
  }).then(async (r) => ({
    status: r.status,
    retryAfter: r.headers.get("retry-after"),
    body: await r.text(),
  }));

/** decide(), again after a 503 carrying Retry-After (the database reattaching), within 20 s. */
async function decideRetrying(key: string): Promise<Awaited<ReturnType<typeof decide>>> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const answer = await decide(key);
    const retry = answer.status === 503 && answer.retryAfter !== null;
    if (!retry || performance.now() > deadline) return answer;
    await Bun.sleep(1000 * (Number(answer.retryAfter) || 1));
  }
}

const ready = async (proc: Proc) => {
  const base = `http://127.0.0.1:${ports[proc.name as "forecast" | "decision"]}`;
  const path = proc.name === "forecast" ? "/ready" : "/health";
  await waitForHttp(`${base}${path}`, (s) => s === 200, `${proc.name} start`).catch((err) => {
    throw new Error(`${String(err)}\n${proc.output.slice(-20).join("\n")}`);
  });
};

/** The service process holding the embedded database's lock, once one does (within 20 s). */
async function hostingService(services: Proc[]): Promise<Proc> {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const pid = readLock(dataDir)?.pid;
    const host = services.find((p) => p.child.pid === pid);
    if (host) return host;
    if (performance.now() > deadline) throw new Error(`no service hosts the database (${pid})`);
    await Bun.sleep(100);
  }
}

test("services, CLIs, SIGTERM and kill -9 on one embedded store lose nothing", async () => {
  ports.forecast = await freePort();
  ports.decision = await freePort();
  // The start-up step (as `npm start` runs it): the demo model v1, then the services.
  await cli("ml/cli.ts", ["demo-model"]);
  let forecast = startService("forecast");
  let decision = startService("decision");
  await ready(forecast); // the demo model (v1) loaded
  await ready(decision);
  expect(await servedVersion()).toBe(1);

  const keys = [await createKey("while-running-1")];
  expect((await decide(keys[0] as string)).status).toBe(200);

  await cli("ml/cli.ts", ["simulate", "--customers", "600", "--seed", "7", "--out", "sim.csv"]);
  const trained = await cli("ml/cli.ts", [
    ...["train", "--data", "sim.csv", "--calibration-end", "1997-09-30"],
    ...["--holdout-end", "1998-06-30", "--out", "out", "--fast", "--folds", "2"],
    ...["--register", "purchase", "--promote"],
  ]);
  const promotedAt = performance.now();
  expect(trained).toContain("registered purchase v2 (production)");
  await waitForVersion(2);
  const swapMs = performance.now() - promotedAt;
  console.log(`v2 served ${Math.round(swapMs)} ms after the CLI promoted it (poll ${POLL_MS} ms)`);
  // Seen within one poll; loading it (artifacts + customers) adds a little on a busy machine.
  expect(swapMs).toBeLessThan(POLL_MS + 15_000);

  // `ml forget` on the shared store: v2 is reloaded without the customer at the next poll.
  const simulated = readFileSync(join(dataDir, "sim.csv"), "utf8").split("\n")[1] ?? "";
  const forgotten = simulated.split(",")[0] ?? "";
  const itemOf = async (id: string) =>
    (await forecastItemById(`http://127.0.0.1:${ports.forecast}`, id)).item;
  expect(await itemOf(forgotten)).toBe("forecast");
  expect(await cli("ml/cli.ts", ["forget", forgotten])).toMatch(/stored row\(s\) under [12] model/);
  const forgetDeadline = performance.now() + POLL_MS + 15_000;
  while ((await itemOf(forgotten)) === "forecast" && performance.now() < forgetDeadline) {
    await Bun.sleep(50);
  }
  expect(await itemOf(forgotten)).toBe("unknown_customer");
  expect(await servedVersion()).toBe(2);

  // SIGTERM the forecast service (it hosted the database): the others carry on.
  await stopProc(forecast, "SIGTERM");
  keys.push(await createKey("after-sigterm"));
  forecast = startService("forecast");
  await ready(forecast);
  expect(await servedVersion()).toBe(2);

  // kill -9 the decision service, then the database's host, with keys created in between.
  await stopProc(decision, "SIGKILL");
  keys.push(await createKey("after-kill-decision"));
  decision = startService("decision");
  await ready(decision);
  // One of the two found no server and hosts the database (the restarted decision service opens
  // it at start, racing the forecast service's next poll): kill -9 the host, whichever it is.
  // Until one does (the keys CLI hosted it last and has exited), within a few of forecast's polls.
  const host = await hostingService([forecast, decision]);
  await stopProc(host, "SIGKILL");
  const hostKeyName = `after-kill-host-${host.name}`;
  keys.push(await createKey(hostKeyName));
  if (host === forecast) {
    forecast = startService("forecast");
    await ready(forecast);
  } else {
    decision = startService("decision");
    await ready(decision);
  }
  expect(await servedVersion()).toBe(2);
  // The surviving service reattaches to the new host on its next use: wait until decision's
  // /ready has probed the database, and honour a 503's Retry-After as a client would (a key
  // check that lands mid-reattach is refused for now, not lost).
  await waitForHttp(`http://127.0.0.1:${ports.decision}/ready`, (s) => s === 200, "decision ready");

  for (const key of keys) {
    const answer = await decideRetrying(key);
    expect(answer.status, answer.body).toBe(200);
  }
  const models = await cli("ml/cli.ts", ["models", "purchase"]);
  expect(models).toMatch(/purchase\s+2\s+production/);
  expect(models).toMatch(/purchase\s+1\s+archived/);

  await stopProc(decision, "SIGTERM");
  await stopProc(forecast, "SIGTERM");
  expect(existsSync(join(dataDir, "pglite.lock"))).toBe(false);

  // Integrity, with no server running: amcheck every B-tree index against its heap, and the same
  // rows through index scans and sequential scans.
  const pg = await PGlite.create(join(dataDir, "pglite"), { extensions: { amcheck } });
  try {
    await pg.exec("create extension if not exists amcheck");
    const indexes = await pg.query<{ name: string }>(
      `select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
         join pg_namespace n on n.oid = c.relnamespace join pg_am a on a.oid = c.relam
       where n.nspname = 'public' and a.amname = 'btree'`,
    );
    expect(indexes.rows.length).toBeGreaterThan(5);
    for (const { name } of indexes.rows) {
      await pg.query("select bt_index_check($1::regclass, true)", [name]);
    }
    const scan = async (query: string, mode: "index" | "seq") => {
      await pg.exec(
        mode === "index"
          ? "set enable_seqscan = off; set enable_indexscan = on; set enable_bitmapscan = off"
          : "set enable_seqscan = on; set enable_indexscan = off; set enable_bitmapscan = off; set enable_indexonlyscan = off",
      );
      return (await pg.query(query)).rows;
    };
    for (const query of [
      "select id, model_id, version, stage from model_versions where id > 0 order by id",
      "select id, name from api_keys where id > 0 order by id",
      "select count(*)::int as n from customer_features where model_version_id > 0",
    ]) {
      expect(await scan(query, "index")).toEqual(await scan(query, "seq"));
    }
    const versions = await pg.query<{ version: number; stage: string }>(
      "select version, stage from model_versions order by version",
    );
    expect(versions.rows).toEqual([
      { version: 1, stage: "archived" },
      { version: 2, stage: "production" },
    ]);
    const keyRows = await pg.query<{ name: string }>("select name from api_keys order by id");
    expect(keyRows.rows.map((r) => r.name)).toEqual([
      "while-running-1",
      "after-sigterm",
      "after-kill-decision",
      hostKeyName,
    ]);
  } finally {
    await pg.close();
  }
});
