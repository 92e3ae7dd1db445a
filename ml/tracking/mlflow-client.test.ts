// The MLflow tracker against the schema-checking fake server: the happy path, batching within
// MLflow's limits, validation errors surfacing as warnings, and unreachable or silent servers.

import { afterEach, expect, test } from "bun:test";
import { createServer } from "node:net";
import {
  type FakeMlflowOptions,
  type FakeMlflowServer,
  startFakeMlflowServer,
} from "../testing/mlflow-fake-server.ts";
import {
  flattenParams,
  isTrackingWarning,
  LOG_BATCH_LIMITS,
  logBatches,
  MlflowTracker,
} from "./mlflow-client.ts";

const servers: FakeMlflowServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(options: FakeMlflowOptions = {}) {
  const server = await startFakeMlflowServer(options);
  servers.push(server);
  return server;
}

const encoder = new TextEncoder();
const artifacts = [
  { path: "model/gbdt.onnx", bytes: new Uint8Array([8, 7, 18, 0, 255]) },
  { path: "model/btyd-params.json", bytes: encoder.encode('{"r":0.24}') },
  { path: "metrics.json", bytes: encoder.encode('{"mae":0.61}') },
  { path: "report/index.html", bytes: encoder.encode("<h1>report</h1>") },
];

function run(overrides: Partial<Parameters<MlflowTracker["logTrainingRun"]>[0]> = {}) {
  return {
    experiment: "purchase-prediction",
    runName: "cdnow-1997",
    params: { model: "bgnbd", bgnbd: { r: 0.243, alpha: 4.414 }, horizons: [13, 26] },
    metrics: { mae: 0.61, rmse: 1.2 },
    artifacts,
    modelName: "cdnow",
    tags: { "pp.git": "abc123" },
    ...overrides,
  };
}

test("happy path: experiment, run, params, metrics, artifacts and a model version", async () => {
  const server = await fake();
  const tracker = new MlflowTracker({ trackingUri: `${server.url}/` });
  const result = await tracker.logTrainingRun(run());
  if (isTrackingWarning(result)) throw new Error(result.warning);
  expect(result.modelVersion).toBe("1");
  expect(result.notes).toEqual([]);
  expect(server.rejected).toEqual([]);

  const stored = server.state.runs.get(result.runId);
  expect(stored?.status).toBe("FINISHED");
  expect(stored?.runName).toBe("cdnow-1997");
  expect(Object.fromEntries(stored?.params ?? [])).toEqual({
    model: "bgnbd",
    "bgnbd.r": "0.243",
    "bgnbd.alpha": "4.414",
    horizons: "[13,26]",
  });
  expect(stored?.metrics.map((m) => [m.key, m.value])).toEqual([
    ["mae", 0.61],
    ["rmse", 1.2],
  ]);
  expect(stored?.tags.get("pp.git")).toBe("abc123");
  for (const artifact of artifacts) {
    const key = `${result.experimentId}/${result.runId}/artifacts/${artifact.path}`;
    expect(server.state.artifacts.get(key)).toEqual(artifact.bytes);
  }
  expect(server.state.modelVersions).toEqual([
    {
      name: "cdnow",
      version: "1",
      source: `mlflow-artifacts:/${result.experimentId}/${result.runId}/artifacts/model`,
      runId: result.runId,
    },
  ]);
  expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
    "GET /api/2.0/mlflow/experiments/get-by-name",
    "POST /api/2.0/mlflow/experiments/create",
    "POST /api/2.0/mlflow/runs/create",
    "POST /api/2.0/mlflow/runs/log-batch",
    ...artifacts.map(
      (a) =>
        `PUT /api/2.0/mlflow-artifacts/artifacts/${result.experimentId}/${result.runId}/artifacts/${a.path}`,
    ),
    "POST /api/2.0/mlflow/runs/update",
    "POST /api/2.0/mlflow/registered-models/create",
    "POST /api/2.0/mlflow/model-versions/create",
  ]);

  // A second run reuses the experiment and the registered model (RESOURCE_ALREADY_EXISTS ignored).
  const again = await tracker.logTrainingRun(run({ runName: "cdnow-1997-b" }));
  expect(again).toMatchObject({ experimentId: result.experimentId, modelVersion: "2" });
  expect(server.state.experiments.size).toBe(1);
  expect(server.rejected).toEqual([]);
});

test("many metrics and params are split into log-batch requests within MLflow's limits", async () => {
  const server = await fake();
  const metrics = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`m${i}`, i / 7]));
  const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
  const result = await new MlflowTracker({ trackingUri: server.url }).logTrainingRun(
    run({ metrics, params, modelName: undefined }),
  );
  if (isTrackingWarning(result)) throw new Error(result.warning);
  expect(result.modelVersion).toBeNull();
  expect(server.rejected).toEqual([]);
  const stored = server.state.runs.get(result.runId);
  expect(stored?.metrics).toHaveLength(2500);
  expect(stored?.params.size).toBe(250);
  const batches = server.requests.filter((r) => r.path.endsWith("/runs/log-batch"));
  expect(batches.length).toBeGreaterThanOrEqual(3);
});

test("logBatches never exceeds a limit and keeps every entry once", () => {
  const m = Array.from({ length: 2345 }, (_, i) => ({
    key: `m${i}`,
    value: i,
    timestamp: 1,
    step: 0,
  }));
  const p = Array.from({ length: 234 }, (_, i) => ({ key: `p${i}`, value: "v" }));
  const t = Array.from({ length: 123 }, (_, i) => ({ key: `t${i}`, value: "v" }));
  const batches = logBatches(m, p, t);
  for (const b of batches) {
    expect(b.metrics.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.metrics);
    expect(b.params.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.params);
    expect(b.tags.length).toBeLessThanOrEqual(LOG_BATCH_LIMITS.tags);
    expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(
      LOG_BATCH_LIMITS.total,
    );
  }
  expect(batches.flatMap((b) => b.metrics)).toEqual(m);
  expect(batches.flatMap((b) => b.params)).toEqual(p);
  expect(batches.flatMap((b) => b.tags)).toEqual(t);
  expect(logBatches([], [], [])).toEqual([]);
  expect(flattenParams({ a: { b: { c: 1 } }, d: null })).toEqual({ "a.b.c": 1, d: null });
});

test("the fake refuses requests that break MLflow's REST schema", async () => {
  const server = await fake();
  // T: the fields of a successful answer.
  const post = async <T = object>(endpoint: string, body: unknown) => {
    const response = await fetch(`${server.url}/api/2.0/mlflow/${endpoint}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      ...((await response.json()) as { error_code?: string; message?: string } & T),
    };
  };
  const { experiment_id } = await post<{ experiment_id: string }>("experiments/create", {
    name: "e",
  });
  const bad: [string, unknown, RegExp][] = [
    ["runs/create", { start_time: 1 }, /required parameter 'experiment_id'/],
    ["runs/create", { experiment_id: 1, start_time: 1 }, /'experiment_id'/],
    ["runs/create", { experiment_id, start_time: 1.5 }, /'start_time'/],
    ["runs/create", { experiment_id }, /'start_time'/],
    ["runs/create", { experiment_id, start_time: 1, colour: "red" }, /unknown field 'colour'/],
    ["experiments/create", { name: "" }, /'name'/],
  ];
  for (const [endpoint, body, message] of bad) {
    const answer = await post(endpoint, body);
    expect(answer.status).toBe(400);
    expect(answer.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect(answer.message).toMatch(message);
  }
  const created = await post<{ run: { info: { run_id: string } } }>("runs/create", {
    experiment_id,
    start_time: "1700000000000",
  });
  const run_id = created.run.info.run_id;
  const metric = { key: "m", value: 1, timestamp: 1700000000000, step: 0 };
  const badBatches: [unknown, RegExp][] = [
    [{ metrics: Array.from({ length: 1001 }, () => metric) }, /at most 1000 metrics/],
    [
      { params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: "v" })) },
      /at most 100 params/,
    ],
    [{ params: [{ key: "p", value: "x".repeat(6001) }] }, /maximum length of 6000/],
    [{ params: [{ key: "p", value: 3 }] }, /value must be a string/],
    [{ metrics: [{ ...metric, value: "1" }] }, /value must be a number/],
    [{ metrics: [{ ...metric, timestamp: 1.5 }] }, /timestamp must be an int64/],
    [{ metrics: [{ key: "bad@key", value: 1, timestamp: 1 }] }, /Invalid metric name/],
  ];
  for (const [body, message] of badBatches) {
    const answer = await post("runs/log-batch", { run_id, ...(body as object) });
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(message);
  }
  expect((await post("runs/log-batch", { run_id, metrics: [metric] })).status).toBe(200);
  expect((await post("runs/update", { run_id, status: "DONE" })).status).toBe(400);
  expect(
    (await post("model-versions/create", { name: "nope", source: "runs:/x/model" })).error_code,
  ).toBe("RESOURCE_DOES_NOT_EXIST");
  expect(server.rejected.length).toBe(bad.length + badBatches.length + 1);
});

test("a request the server refuses becomes a warning, and the run is marked FAILED", async () => {
  const server = await fake();
  const result = await new MlflowTracker({ trackingUri: server.url }).logTrainingRun(
    run({ metrics: { "mae@holdout": 0.5 } }),
  );
  if (!isTrackingWarning(result)) throw new Error("expected a warning");
  expect(result.warning).toContain("INVALID_PARAMETER_VALUE");
  expect(result.warning).toContain("mae@holdout");
  expect(result.runId).toBeDefined();
  expect(server.state.runs.get(result.runId ?? "")?.status).toBe("FAILED");
  expect(server.state.modelVersions).toEqual([]);
});

test("a failing model registration becomes a warning after the run was logged", async () => {
  const server = await fake({
    fault: (r) =>
      r.path.endsWith("/model-versions/create")
        ? { status: 503, error_code: "TEMPORARILY_UNAVAILABLE", message: "try later" }
        : undefined,
  });
  const result = await new MlflowTracker({ trackingUri: server.url }).logTrainingRun(run());
  expect(result).toMatchObject({
    warning: expect.stringContaining("TEMPORARILY_UNAVAILABLE: try later"),
  });
});

test("an unreachable tracking server gives a warning quickly and never throws", async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const started = performance.now();
  const result = await new MlflowTracker({
    trackingUri: `http://127.0.0.1:${port}`,
    timeoutMs: 1000,
  }).logTrainingRun(run());
  expect(performance.now() - started).toBeLessThan(3000);
  expect(result).toEqual({
    warning: expect.stringContaining(`cannot reach http://127.0.0.1:${port}`),
  });
});

test("a server that never answers gives a warning after the timeout", async () => {
  const server = await fake({ fault: () => "hang" });
  const started = performance.now();
  const result = await new MlflowTracker({
    trackingUri: server.url,
    timeoutMs: 300,
  }).logTrainingRun(run());
  expect(performance.now() - started).toBeLessThan(3000);
  expect(result).toEqual({ warning: expect.stringContaining("no answer within 300 ms") });
});

test("artifacts are skipped with a note when the run's root is not behind the artifact proxy", async () => {
  const server = await fake({ artifactScheme: "s3" });
  const result = await new MlflowTracker({ trackingUri: server.url }).logTrainingRun(run());
  if (isTrackingWarning(result)) throw new Error(result.warning);
  expect(result.notes[0]).toMatch(/artifacts not uploaded: .*s3:\/\//);
  expect(server.state.artifacts.size).toBe(0);
  expect(server.state.modelVersions[0]?.source).toMatch(/^s3:\/\/bucket\/.*\/artifacts\/model$/);
});

test("fromEnv needs an http(s) MLFLOW_TRACKING_URI", () => {
  expect(MlflowTracker.fromEnv({})).toBeNull();
  expect(MlflowTracker.fromEnv({ MLFLOW_TRACKING_URI: "./mlruns" })).toBeNull();
  expect(MlflowTracker.fromEnv({ MLFLOW_TRACKING_URI: "http://mlflow:5000" })).toBeInstanceOf(
    MlflowTracker,
  );
});
