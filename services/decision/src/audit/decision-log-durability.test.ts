// The decision log loses nothing across a database outage: a throwaway PostgreSQL cluster is
// stopped while decisions keep coming (buffered, then 503 once the buffer is full) and started
// again; every decision that was answered 200 ends up in decision_log, exactly once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { forecastContractStub } from "../forecast-client/forecast-contract-stub.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { closeWithin } from "../store/close-within.ts";
import { lazyDatabase } from "../store/lazy-database.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";

function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions)
    if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return null;
}

const bin = postgresBinDir();
if (!bin) {
  console.warn(
    `\n${"!".repeat(78)}\n!! PostgreSQL server binaries (initdb, pg_ctl) NOT found under /usr/lib/postgresql:\n` +
      `!! the decision-log outage test CANNOT run. Install postgresql to run it.\n${"!".repeat(78)}\n`,
  );
  if (process.env.CI) throw new Error("decision-log outage test needs PostgreSQL binaries in CI");
}

const asPostgres = (args: string[]) =>
  execFileSync("su", ["postgres", "-c", args.map((a) => `'${a}'`).join(" ")], {
    stdio: "pipe",
    timeout: 60_000,
  });

describe.skipIf(!bin)("decision log across a PostgreSQL outage", () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-decision-pg-"));
  const dataDir = join(dir, "data");
  const port = 5433 + Math.floor(Math.random() * 20_000);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pgCtl = (...args: string[]) =>
    asPostgres([join(bin as string, "pg_ctl"), "-D", dataDir, ...args]);
  const start = () =>
    pgCtl(
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-l",
      join(dir, "log"),
      "-w",
      "start",
    );
  const stop = () => pgCtl("-m", "fast", "-w", "stop");
  let handle: DatabaseHandle | undefined;
  let deps: DecisionDeps;

  beforeAll(() => {
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
    asPostgres([
      join(bin as string, "initdb"),
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
    ]);
    start();
  }, 60_000);

  afterAll(async () => {
    await deps?.audit.close(1000);
    if (handle) await closeWithin(handle, 2000);
    try {
      stop();
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test("answered decisions == rows written, after stop and start", async () => {
    const quiet = createLogger({ sink: () => {} });
    const stub = forecastContractStub({
      known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } },
    });
    const database = lazyDatabase(async () => {
      handle = await openDecisionDatabase({ DATABASE_URL: url, DECISION_DATA_DIR: "" });
      return handle.db;
    });
    deps = buildDecisionDeps(
      parseConfig({ API_KEYS: "k", DECISION_LOG_BUFFER_ROWS: "25", POLICY_CACHE_MS: "3600000" }),
      {
        runtime: "test",
        database,
        forecastTransport: inProcessTransport(stub.app),
        overrides: { logger: quiet },
      },
    );
    const app = createApp(deps);
    const decide = () =>
      app.request("/decision", {
        method: "POST",
        headers: { Authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({
          customer: { id: "c-1" },
          horizon: { value: 13, unit: "week" },
          actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
        }),
      });
    const answered: string[] = [];

    for (let i = 0; i < 10; i++) {
      const res = await decide();
      expect(res.status).toBe(200);
      answered.push(((await res.json()) as { decision_id: string }).decision_id);
    }
    expect(await deps.audit.drain(10_000)).toBe(true);
    expect(await (await database()).$count(decisionLog)).toBe(10);

    stop(); // the database goes away
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const res = await decide();
      if (res.status === 200)
        answered.push(((await res.json()) as { decision_id: string }).decision_id);
      else {
        expect(res.status).toBe(503);
        refused++;
      }
    }
    expect(answered).toHaveLength(10 + 25); // the buffer held 25, then 503s
    expect(refused).toBe(15);
    expect(deps.audit.pending).toBe(25);
    expect(deps.audit.problem).toBeDefined();

    start(); // and comes back
    expect(await deps.audit.drain(30_000)).toBe(true);
    const rows = await (await database()).select({ id: decisionLog.decisionId }).from(decisionLog);
    expect(rows.map((r) => r.id).sort()).toEqual([...answered].sort());
    // Decisions flow again.
    expect((await decide()).status).toBe(200);
  }, 60_000);
});
