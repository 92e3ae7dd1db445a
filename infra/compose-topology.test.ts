// The compose stack's topology as real processes (there is no Docker engine here): one PostgreSQL
// database (the stack's `postgres`), one S3-protocol artifact store (s3rver standing in for MinIO,
// in the bucket and prefix compose configures), and a separate working directory per "container".
// The `train` one-shot runs compose's own command on a mounted log and registers v1; the forecast
// "container", with compose's environment, serves it; a model trained and promoted from the
// "host" against the same database and bucket is served by forecast at its next poll, and no
// artifact is ever copied into a container's directory.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
import { type S3TestServer, startS3TestServer } from "@pp/shared/testing/s3-test-server.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { parse } from "yaml";

setDefaultTimeout(300_000);

interface Service {
  command?: string[];
  environment?: Record<string, string>;
}
const root = resolve(import.meta.dirname, "..");
const compose = parse(await Bun.file(join(root, "infra/docker-compose.yml")).text(), {
  merge: true,
}) as { services: Record<string, Service> };
const withDefaults = (value: string) =>
  value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_, _name, fallback) => fallback ?? "");

const scratch = mkdtempSync(join(tmpdir(), "pp-topology-"));
const dirs = {
  forecast: join(scratch, "forecast-container"),
  train: join(scratch, "train-container"),
  trainData: join(scratch, "train-data"),
  host: join(scratch, "host"),
};
for (const dir of Object.values(dirs)) mkdirSync(dir);
let db: TestDatabase;
let s3: S3TestServer;
let forecast: Proc | null = null;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  const bucket = new URL(
    withDefaults(compose.services.forecast?.environment?.ARTIFACT_STORE_URI ?? ""),
  ).hostname;
  s3 = await startS3TestServer(bucket);
});
afterAll(async () => {
  if (forecast) await stopProc(forecast, "SIGKILL");
  await s3?.close();
  await db?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** A service's compose environment, with the stack's hosts mapped to this machine's processes. */
function containerEnv(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(compose.services[name]?.environment ?? {})) {
    out[key] = withDefaults(String(value));
  }
  const s3Env = s3.env("unused");
  return {
    ...out,
    DATABASE_URL: db.options.databaseUrl as string, // postgres:5432/purchase
    AWS_ENDPOINT_URL: s3.endpoint, // http://minio:9000
    // s3rver accepts only its own development credentials (MinIO's come from compose).
    AWS_ACCESS_KEY_ID: s3Env.AWS_ACCESS_KEY_ID as string,
    AWS_SECRET_ACCESS_KEY: s3Env.AWS_SECRET_ACCESS_KEY as string,
    MLFLOW_TRACKING_URI: "",
    LOG_LEVEL: "warn",
  };
}

const simulate = async (seed: string, out: string) => {
  const run = await runBun(
    join(root, "ml/cli.ts"),
    ["simulate", "--customers", "600", "--seed", seed, "--out", out],
    {},
    { cwd: dirs.host },
  );
  expect(run.status, run.stderr).toBe(0);
};

const servedVersion = async (port: number) =>
  (
    JSON.parse(
      await waitForHttp(`http://127.0.0.1:${port}/model-info`, (s) => s === 200, "model-info"),
    ) as { version: number }
  ).version;

test("a model trained by the one-shot, then one promoted from the host, is served by forecast", async () => {
  // 1. `docker compose run train`: compose's command, /data and the output dir mapped.
  await simulate("11", join(dirs.trainData, "transactions.csv"));
  const command = (compose.services.train?.command ?? [])
    .map(withDefaults)
    .map((arg) =>
      arg.startsWith("/data/")
        ? join(dirs.trainData, arg.slice(6))
        : arg === "/tmp/train-out"
          ? join(dirs.train, "out")
          : arg,
    );
  expect(command.slice(0, 2)).toEqual(["bun", "ml/cli.ts"]);
  const trained = await runBun(
    join(root, command[1] as string),
    command.slice(2),
    { ...containerEnv("train"), DATA_DIR: join(dirs.train, ".data") },
    { cwd: dirs.train },
  );
  expect(trained.status, trained.stderr).toBe(0);
  expect(trained.stdout).toContain("registered purchase v1 (production)");

  // 2. The forecast container serves it from the shared database and bucket.
  const port = await freePort();
  forecast = startBun(
    "forecast",
    join(root, "services/forecast/src/entry/bun.ts"),
    {
      ...containerEnv("forecast"),
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: join(dirs.forecast, ".data"),
      MODEL_POLL_INTERVAL_MS: "1000",
    },
    { cwd: dirs.forecast },
  );
  await waitForHttp(`http://127.0.0.1:${port}/ready`, (s) => s === 200, "forecast ready").catch(
    (err) => {
      throw new Error(`${String(err)}\n${forecast?.output.slice(-20).join("\n")}`);
    },
  );
  expect(await servedVersion(port)).toBe(1);

  // 3. From the host: train another log, register and promote it in the stack's stores.
  await simulate("12", join(dirs.host, "new.csv"));
  const hostEnv = {
    ...containerEnv("train"),
    DATA_DIR: join(dirs.host, ".data"),
  };
  const promoted = await runBun(
    join(root, "ml/cli.ts"),
    [
      ...["train", "--data", "new.csv", "--calibration-end", "1997-09-30"],
      ...["--holdout-end", "1998-06-30", "--out", "out", "--fast", "--folds", "2"],
      ...["--register", "purchase", "--promote"],
    ],
    hostEnv,
    { cwd: dirs.host },
  );
  expect(promoted.status, promoted.stderr).toBe(0);
  expect(promoted.stdout).toContain("registered purchase v2 (production)");
  await waitForHttp(
    `http://127.0.0.1:${port}/model-info`,
    (s, body) => s === 200 && (JSON.parse(body) as { version: number }).version === 2,
    "forecast serving v2",
    30_000,
  );
  const answer = await fetch(`http://127.0.0.1:${port}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id: "1" }] }),
  });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { model: { version: number } }).model.version).toBe(2);

  // Nothing was copied into a container: the artifacts live only in the bucket.
  for (const dir of [dirs.forecast, dirs.train]) {
    expect(existsSync(join(dir, ".data", "artifacts"))).toBe(false);
  }
  const keys = await (await import("@pp/shared/artifacts/open-artifact-store.ts"))
    .openArtifactStore(
      containerEnv("forecast").ARTIFACT_STORE_URI as string,
      containerEnv("forecast"),
    )
    .list("models/purchase/");
  expect(new Set(keys.map((k) => k.split("/")[2])).size).toBe(2);
  expect(readdirSync(dirs.forecast)).not.toContain("artifacts");
});
