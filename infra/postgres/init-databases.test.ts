// Runs infra/postgres/init-databases.sh the way the postgres image does (once, on a new cluster),
// against a throwaway PostgreSQL, and checks the databases, owners and isolation it sets up.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../shared/testing/free-port.ts";

const script = fileURLToPath(new URL("./init-databases.sh", import.meta.url));

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((v) => join(root, v, "bin"))
    .find((dir) => existsSync(join(dir, "initdb")));
  if (found === undefined) {
    throw new Error(
      "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (initdb)",
    );
  }
  return found;
}

const isRoot = process.getuid?.() === 0;
let dataDir = "";
let port = 0;
let binDir = "";

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Runs a command as the `postgres` OS user when we are root (initdb refuses root). */
function run(
  command: string[],
  env: Record<string, string> = {},
): { status: number; output: string } {
  const fullEnv = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, ...env };
  const assignments = Object.entries({ PATH: fullEnv.PATH, ...env }).map(
    ([name, value]) => `${name}=${shellQuote(value ?? "")}`,
  );
  const [file, ...args] = isRoot
    ? [
        "su",
        "postgres",
        "-s",
        "/bin/sh",
        "-c",
        [...assignments, ...command.map(shellQuote)].join(" "),
      ]
    : command;
  const result = spawnSync(file, args, { env: fullEnv, encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

function psql(user: string, database: string, sql: string): { status: number; output: string } {
  return run([
    "psql",
    "-X",
    "-A",
    "-t",
    "-h",
    dataDir,
    "-p",
    String(port),
    "-U",
    user,
    "-d",
    database,
    "-c",
    sql,
  ]);
}

beforeAll(async () => {
  binDir = postgresBinDir();
  dataDir = mkdtempSync(join(tmpdir(), "pp-pg-init-"));
  if (isRoot)
    chownSync(
      dataDir,
      Number(run(["id", "-u", "postgres"]).output.trim()),
      Number(run(["id", "-g", "postgres"]).output.trim()),
    );
  port = await freePort();
  const init = run(["initdb", "-D", dataDir, "-U", "postgres", "--auth=trust"]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  const start = run([
    "pg_ctl",
    "-D",
    dataDir,
    "-w",
    "-l",
    join(dataDir, "server.log"),
    "-o",
    `-p ${port} -k ${dataDir} -c listen_addresses=''`,
    "start",
  ]);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${start.output}`);
}, 60_000);

afterAll(() => {
  if (dataDir === "") return;
  run(["pg_ctl", "-D", dataDir, "-m", "fast", "-w", "stop"]);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

test("creates the mlflow and purchase databases, each owned by its own password-protected role", () => {
  const result = run(["sh", script], {
    PGHOST: dataDir,
    PGPORT: String(port),
    POSTGRES_USER: "postgres",
    POSTGRES_DB: "postgres",
    MLFLOW_DB_PASSWORD: "test-mlflow-secret",
    PURCHASE_DB_PASSWORD: "test-purchase-secret",
  });
  expect({ status: result.status, output: result.output }).toEqual({
    status: 0,
    output: expect.any(String),
  });

  const owners = psql(
    "postgres",
    "postgres",
    "SELECT d.datname || '=' || r.rolname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba " +
      "WHERE d.datname IN ('mlflow', 'purchase') ORDER BY 1",
  );
  expect(owners.output.trim().split("\n")).toEqual(["mlflow=mlflow", "purchase=purchase"]);
  const passwords = psql(
    "postgres",
    "postgres",
    "SELECT rolname || ':' || (rolpassword LIKE 'SCRAM-SHA-256$%') FROM pg_authid " +
      "WHERE rolname IN ('mlflow', 'purchase') ORDER BY 1",
  );
  expect(passwords.output.trim().split("\n")).toEqual(["mlflow:true", "purchase:true"]);
});

test("each role can work in its own database and cannot connect to the other's", () => {
  expect(
    psql("purchase", "purchase", "CREATE TABLE probe (id int); DROP TABLE probe;").status,
  ).toBe(0);
  expect(psql("mlflow", "mlflow", "CREATE TABLE probe (id int); DROP TABLE probe;").status).toBe(0);
  const crossing = psql("purchase", "mlflow", "SELECT 1");
  expect(crossing.status).not.toBe(0);
  expect(crossing.output).toContain("permission denied for database");
  expect(psql("mlflow", "purchase", "SELECT 1").status).not.toBe(0);
});

test("the platform's migrations apply as the purchase role, the promotion trigger included", () => {
  const folder = fileURLToPath(new URL("../../shared/db/migrations/", import.meta.url));
  const files = readdirSync(folder)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  expect(files.length).toBeGreaterThanOrEqual(5);
  for (const file of files) {
    const applied = run([
      ...["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", dataDir, "-p", String(port)],
      ...["-U", "purchase", "-d", "purchase", "-f", join(folder, file)],
    ]);
    expect({ file, status: applied.status, output: applied.output }).toEqual({
      file,
      status: 0,
      output: expect.any(String),
    });
  }
  const trigger = psql(
    "purchase",
    "purchase",
    "SELECT count(*) FROM pg_trigger WHERE tgname = 'model_versions_production_notify'",
  );
  expect(trigger.output.trim()).toBe("1");
});

test("fails loudly when run twice (the image runs it only on an empty cluster)", () => {
  const again = run(["sh", script], { PGHOST: dataDir, PGPORT: String(port) });
  expect(again.status).not.toBe(0);
  expect(again.output).toContain('role "mlflow" already exists');
});
