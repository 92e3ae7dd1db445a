// COPY ... FROM STDIN sent to the embedded store's wire server by a psql user: PGlite cannot wait
// for the rows that follow, and ended the process hosting the store (here the decision service)
// with exit 1. Now it is a PostgreSQL error naming what to do instead, over the simple protocol
// (psql) and the extended one (a driver's prepared statement), and the host serves on.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readLock } from "@pp/shared/db/embedded/server-lock.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, startBun, stopProc, waitForHttp } from "@pp/shared/testing/processes.ts";
import postgres from "postgres";

setDefaultTimeout(120_000);

const root = resolve(import.meta.dirname, "../..");
const dataDir = mkdtempSync(join(tmpdir(), "pp-copy-in-"));
const KEY = "copy-in-test-key-0123456789abcdef";
let host: Proc | undefined;
afterAll(async () => {
  if (host) await stopProc(host, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const psql = (port: number, sql: string, input = "") =>
  spawnSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-Atc", sql], {
    input,
    encoding: "utf8",
    // The store's password is its lock's secret (store-secret.test.ts).
    env: { ...process.env, PGCONNECT_TIMEOUT: "10", PGPASSWORD: readLock(dataDir)?.secret ?? "" },
  });

test("COPY FROM STDIN on the embedded store: an error naming what to do; the host serves on", async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  host = startBun("decision", join(root, "services/decision/src/entry/bun.ts"), {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: "127.0.0.1",
    API_KEYS: KEY,
    DEMO_MODEL: "false",
    LOG_LEVEL: "warn",
    FORECAST_URL: `http://127.0.0.1:${await freePort()}`,
  });
  // The store opens on first use: /ready's query hosts it.
  await waitForHttp(`${base}/ready`, () => (readLock(dataDir)?.port ?? 0) > 0, "store hosted");
  const storePort = readLock(dataDir)?.port as number;

  expect(psql(storePort, "create table probe_copy (id int)").status).toBe(0);
  const simple = psql(storePort, "copy probe_copy from stdin", "1\n2\n");
  expect(simple.status).not.toBe(0);
  expect(simple.stderr).toContain("COPY ... FROM STDIN is not supported by the embedded store");
  expect(simple.stderr).toContain("set DATABASE_URL to a PostgreSQL server");

  const password = readLock(dataDir)?.secret;
  const sql = postgres({ host: "127.0.0.1", port: storePort, user: "postgres", password, max: 1 });
  try {
    const extended = await sql.unsafe("copy probe_copy from stdin", [], { prepare: true }).then(
      () => "no error",
      (e: unknown) => String(e),
    );
    expect(extended).toContain("COPY ... FROM STDIN is not supported");
    // The same connection goes on; COPY TO STDOUT (which PGlite can answer) still works.
    await sql`insert into probe_copy values (7)`;
    expect([...(await sql`select id from probe_copy`)]).toEqual([{ id: 7 }]);
  } finally {
    await sql.end({ timeout: 1 });
  }
  expect(psql(storePort, "copy (select 42) to stdout").stdout.trim()).toBe("42");

  expect(host.exited()).toBe(false);
  const health = await fetch(`${base}/health`);
  expect(health.status).toBe(200);
});
