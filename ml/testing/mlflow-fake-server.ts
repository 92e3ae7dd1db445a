// A fake MLflow tracking server for tests (MLflow itself is not installable here). It answers the
// REST endpoints the tracker uses, and checks every request against MLflow's documented REST
// schema: required fields, field types (int64 as integer or decimal string, as proto3 JSON allows),
// unknown fields, key/value size limits and the runs/log-batch limits. Invalid requests get MLflow's
// error shape `{ error_code, message }`, so clients see what a real server would say.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

interface FakeMlflowState {
  experiments: Map<string, { experiment_id: string; name: string; artifact_location: string }>;
  runs: Map<
    string,
    {
      experimentId: string;
      runName: string;
      status: string;
      startTime: number;
      endTime?: number;
      params: Map<string, string>;
      metrics: { key: string; value: number; timestamp: number; step: number }[];
      tags: Map<string, string>;
    }
  >;
  artifacts: Map<string, Uint8Array>;
  registeredModels: Set<string>;
  modelVersions: { name: string; version: string; source: string; runId?: string }[];
}

/** A canned answer for a request, or "hang" to never answer it (for timeout tests). */
type FakeFault = { status: number; error_code: string; message: string } | "hang";

export interface FakeMlflowOptions {
  /** Consulted before handling each request. */
  fault?: (request: RecordedRequest) => FakeFault | undefined;
  /** The artifact root scheme given to new runs (default the artifact proxy, mlflow-artifacts:). */
  artifactScheme?: "mlflow-artifacts" | "s3";
}

export interface FakeMlflowServer {
  url: string;
  state: FakeMlflowState;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests refused as invalid, with the message sent back. */
  rejected: (RecordedRequest & { message: string })[];
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new ApiError(400, "INVALID_PARAMETER_VALUE", message);
const notFound = (message: string) => new ApiError(404, "RESOURCE_DOES_NOT_EXIST", message);

type FieldType = "string" | "int64" | "double" | "tags" | "array";
interface FieldSpec {
  type: FieldType;
  required?: boolean;
}
type MessageSpec = Record<string, FieldSpec>;

const TAG_LIST: FieldSpec = { type: "tags" };

/** Request messages of the endpoints, from MLflow's REST API reference. */
const MESSAGES: Record<string, MessageSpec> = {
  "experiments/create": {
    name: { type: "string", required: true },
    artifact_location: { type: "string" },
    tags: TAG_LIST,
  },
  "runs/create": {
    experiment_id: { type: "string", required: true },
    user_id: { type: "string" },
    run_name: { type: "string" },
    start_time: { type: "int64", required: true },
    tags: TAG_LIST,
  },
  "runs/log-batch": {
    run_id: { type: "string", required: true },
    metrics: { type: "array" },
    params: { type: "array" },
    tags: TAG_LIST,
  },
  "runs/update": {
    run_id: { type: "string", required: true },
    run_uuid: { type: "string" },
    status: { type: "string" },
    end_time: { type: "int64" },
    run_name: { type: "string" },
  },
  "registered-models/create": {
    name: { type: "string", required: true },
    tags: TAG_LIST,
    description: { type: "string" },
  },
  "model-versions/create": {
    name: { type: "string", required: true },
    source: { type: "string", required: true },
    run_id: { type: "string" },
    tags: TAG_LIST,
    run_link: { type: "string" },
    description: { type: "string" },
  },
};

const RUN_STATUSES = new Set(["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"]);
const KEY_PATTERN = /^[/\w.\- :]*$/;

function isInt64(value: unknown): boolean {
  if (typeof value === "number") return Number.isSafeInteger(value);
  return typeof value === "string" && /^-?\d{1,19}$/.test(value);
}

function checkMessage(endpoint: string, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalid(`${endpoint}: the request body must be a JSON object`);
  }
  const message = body as Record<string, unknown>;
  const spec = MESSAGES[endpoint];
  // The server checks the endpoint first; this keeps the function whole on its own.
  if (!spec) throw new ApiError(404, "ENDPOINT_NOT_FOUND", `No such endpoint ${endpoint}`);
  for (const key of Object.keys(message)) {
    if (!(key in spec)) throw invalid(`${endpoint}: unknown field '${key}'`);
  }
  for (const [field, { type, required }] of Object.entries(spec)) {
    const value = message[field];
    if (value === undefined || value === null) {
      if (required) throw invalid(`Missing value for required parameter '${field}'.`);
      continue;
    }
    const ok =
      type === "string"
        ? typeof value === "string"
        : type === "int64"
          ? isInt64(value)
          : type === "double"
            ? typeof value === "number"
            : Array.isArray(value);
    if (!ok)
      throw invalid(
        `Invalid value ${JSON.stringify(value)} for parameter '${field}': expected ${type}`,
      );
    if (type === "string" && required && value === "") {
      throw invalid(`Missing value for required parameter '${field}'.`);
    }
    if (type === "tags") {
      for (const [i, tag] of (value as unknown[]).entries()) {
        checkKeyValue(`${field}[${i}]`, tag, 8000);
      }
    }
  }
  return message;
}

function checkKeyValue(
  where: string,
  entry: unknown,
  maxValue: number,
): { key: string; value: string } {
  if (entry === null || typeof entry !== "object") throw invalid(`${where} must be an object`);
  const { key, value, ...rest } = entry as Record<string, unknown>;
  if (Object.keys(rest).length > 0)
    throw invalid(`${where}: unknown field '${Object.keys(rest)[0]}'`);
  if (typeof key !== "string" || key === "")
    throw invalid(`${where}.key must be a non-empty string`);
  if (key.length > 250) throw invalid(`${where}.key exceeds the maximum length of 250`);
  if (!KEY_PATTERN.test(key) || key.includes("..") || key.startsWith("/")) {
    throw invalid(`Invalid key name '${key}' at ${where}`);
  }
  if (typeof value !== "string") throw invalid(`${where}.value must be a string`);
  if (value.length > maxValue)
    throw invalid(`${where}.value exceeds the maximum length of ${maxValue}`);
  return { key, value };
}

function checkLogBatch(message: Record<string, unknown>) {
  const metrics = (message.metrics ?? []) as unknown[];
  const params = (message.params ?? []) as unknown[];
  const tags = (message.tags ?? []) as unknown[];
  const limit = (what: string, n: number, max: number) => {
    if (n > max) {
      throw invalid(
        `A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
      );
    }
  };
  limit("metrics", metrics.length, 1000);
  limit("params", params.length, 100);
  limit("tags", tags.length, 100);
  limit("metrics, params, and tags", metrics.length + params.length + tags.length, 1000);
  const checkedMetrics = metrics.map((entry, i) => {
    const where = `metrics[${i}]`;
    if (entry === null || typeof entry !== "object") throw invalid(`${where} must be an object`);
    const { key, value, timestamp, step, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0)
      throw invalid(`${where}: unknown field '${Object.keys(rest)[0]}'`);
    if (typeof key !== "string" || key === "" || key.length > 250 || !KEY_PATTERN.test(key)) {
      throw invalid(`Invalid metric name ${JSON.stringify(key)} at ${where}`);
    }
    if (typeof value !== "number")
      throw invalid(`${where}.value must be a number, got ${JSON.stringify(value)}`);
    if (!isInt64(timestamp))
      throw invalid(
        `${where}.timestamp must be an int64 (milliseconds), got ${JSON.stringify(timestamp)}`,
      );
    if (step !== undefined && !isInt64(step)) throw invalid(`${where}.step must be an int64`);
    return { key, value, timestamp: Number(timestamp), step: Number(step ?? 0) };
  });
  const checkedParams = params.map((p, i) => checkKeyValue(`params[${i}]`, p, 6000));
  const checkedTags = tags.map((t, i) => checkKeyValue(`tags[${i}]`, t, 8000));
  return { metrics: checkedMetrics, params: checkedParams, tags: checkedTags };
}

/** Starts the fake on 127.0.0.1 at a free port. */
export async function startFakeMlflowServer(
  options: FakeMlflowOptions = {},
): Promise<FakeMlflowServer> {
  const state: FakeMlflowState = {
    experiments: new Map(),
    runs: new Map(),
    artifacts: new Map(),
    registeredModels: new Set(),
    modelVersions: [],
  };
  const requests: RecordedRequest[] = [];
  const rejected: (RecordedRequest & { message: string })[] = [];
  let nextExperiment = 1;
  const hanging = new Set<ServerResponse>();

  const handle = (recorded: RecordedRequest, query: URLSearchParams, raw: Uint8Array) => {
    const { method, path } = recorded;
    if (method === "PUT" && path.startsWith("/api/2.0/mlflow-artifacts/artifacts/")) {
      const artifactPath = decodeURIComponent(
        path.slice("/api/2.0/mlflow-artifacts/artifacts/".length),
      );
      const [experimentId, runId, root, ...rest] = artifactPath.split("/");
      const run = runId === undefined ? undefined : state.runs.get(runId);
      if (!run || run.experimentId !== experimentId || root !== "artifacts" || rest.length === 0) {
        throw notFound(`No run artifact root for path '${artifactPath}'`);
      }
      if (rest.some((s) => s === "" || s === "..")) throw invalid(`Invalid path '${artifactPath}'`);
      state.artifacts.set(artifactPath, raw);
      return {};
    }
    const prefix = "/api/2.0/mlflow/";
    if (!path.startsWith(prefix))
      throw new ApiError(404, "ENDPOINT_NOT_FOUND", `No such endpoint ${path}`);
    const endpoint = path.slice(prefix.length);

    if (endpoint === "experiments/get-by-name") {
      if (method !== "GET")
        throw new ApiError(405, "BAD_REQUEST", "experiments/get-by-name is GET");
      const name = query.get("experiment_name");
      if (!name) throw invalid("Missing value for required parameter 'experiment_name'.");
      const experiment = [...state.experiments.values()].find((e) => e.name === name);
      if (!experiment) throw notFound(`Could not find experiment with name '${name}'`);
      return { experiment: { ...experiment, lifecycle_stage: "active" } };
    }
    if (!(endpoint in MESSAGES))
      throw new ApiError(404, "ENDPOINT_NOT_FOUND", `No such endpoint ${path}`);
    if (method !== "POST") throw new ApiError(405, "BAD_REQUEST", `${endpoint} is POST`);
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw new ApiError(400, "MALFORMED_REQUEST", "the request body is not valid JSON");
    }
    recorded.body = body;
    const message = checkMessage(endpoint, body);

    switch (endpoint) {
      case "experiments/create": {
        const name = message.name as string;
        if ([...state.experiments.values()].some((e) => e.name === name)) {
          throw new ApiError(
            400,
            "RESOURCE_ALREADY_EXISTS",
            `Experiment '${name}' already exists.`,
          );
        }
        const experiment_id = String(nextExperiment++);
        state.experiments.set(experiment_id, {
          experiment_id,
          name,
          artifact_location: `mlflow-artifacts:/${experiment_id}`,
        });
        return { experiment_id };
      }
      case "runs/create": {
        const experimentId = message.experiment_id as string;
        if (!state.experiments.has(experimentId))
          throw notFound(`No Experiment with id=${experimentId} exists`);
        const runId = crypto.randomUUID().replaceAll("-", "");
        const tags = new Map(
          ((message.tags ?? []) as { key: string; value: string }[]).map((t) => [t.key, t.value]),
        );
        const runName =
          (message.run_name as string | undefined) ?? tags.get("mlflow.runName") ?? runId;
        state.runs.set(runId, {
          experimentId,
          runName,
          status: "RUNNING",
          startTime: Number(message.start_time),
          params: new Map(),
          metrics: [],
          tags,
        });
        const artifact_uri =
          options.artifactScheme === "s3"
            ? `s3://bucket/${experimentId}/${runId}/artifacts`
            : `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
        return {
          run: {
            info: {
              run_id: runId,
              run_uuid: runId,
              experiment_id: experimentId,
              run_name: runName,
              status: "RUNNING",
              start_time: Number(message.start_time),
              artifact_uri,
              lifecycle_stage: "active",
            },
            data: {},
          },
        };
      }
      case "runs/log-batch": {
        const run = state.runs.get(message.run_id as string);
        if (!run) throw notFound(`Run '${message.run_id}' not found`);
        const batch = checkLogBatch(message);
        for (const p of batch.params) {
          const old = run.params.get(p.key);
          if (old !== undefined && old !== p.value) {
            throw invalid(
              `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}'`,
            );
          }
        }
        for (const p of batch.params) run.params.set(p.key, p.value);
        for (const t of batch.tags) run.tags.set(t.key, t.value);
        run.metrics.push(...batch.metrics);
        return {};
      }
      case "runs/update": {
        const run = state.runs.get(message.run_id as string);
        if (!run) throw notFound(`Run '${message.run_id}' not found`);
        if (message.status !== undefined && !RUN_STATUSES.has(message.status as string)) {
          throw invalid(`Invalid value ${JSON.stringify(message.status)} for parameter 'status'`);
        }
        if (message.status) run.status = message.status as string;
        if (message.end_time !== undefined) run.endTime = Number(message.end_time);
        return { run_info: { run_id: message.run_id, status: run.status, end_time: run.endTime } };
      }
      case "registered-models/create": {
        const name = message.name as string;
        if (state.registeredModels.has(name)) {
          throw new ApiError(
            400,
            "RESOURCE_ALREADY_EXISTS",
            `Registered Model (name=${name}) already exists.`,
          );
        }
        state.registeredModels.add(name);
        return { registered_model: { name, creation_timestamp: Date.now() } };
      }
      case "model-versions/create": {
        const name = message.name as string;
        if (!state.registeredModels.has(name))
          throw notFound(`Registered Model with name=${name} not found`);
        const source = message.source as string;
        const runId = message.run_id as string | undefined;
        if (runId !== undefined && !state.runs.has(runId))
          throw notFound(`Run '${runId}' not found`);
        if (!/^(runs:\/|mlflow-artifacts:|s3:\/\/|file:)/.test(source)) {
          throw invalid(`Invalid model version source: '${source}'`);
        }
        const version = String(state.modelVersions.filter((v) => v.name === name).length + 1);
        state.modelVersions.push({ name, version, source, ...(runId ? { runId } : {}) });
        return { model_version: { name, version, source, run_id: runId, status: "READY" } };
      }
    }
    throw new ApiError(404, "ENDPOINT_NOT_FOUND", `No such endpoint ${path}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const raw = new Uint8Array(Buffer.concat(chunks));
      const method = req.method ?? "GET";
      const recorded: RecordedRequest = {
        method,
        path: url.pathname,
        body: method === "PUT" ? raw : undefined,
      };
      requests.push(recorded);
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      const fault = options.fault?.(recorded);
      if (fault === "hang") {
        hanging.add(res);
        return;
      }
      if (fault)
        return send(fault.status, { error_code: fault.error_code, message: fault.message });
      try {
        send(200, handle(recorded, url.searchParams, raw));
      } catch (error) {
        if (!(error instanceof ApiError))
          return send(500, { error_code: "INTERNAL_ERROR", message: String(error) });
        if (
          error.errorCode === "INVALID_PARAMETER_VALUE" ||
          error.errorCode === "MALFORMED_REQUEST"
        ) {
          rejected.push({ ...recorded, message: error.message });
        }
        send(error.status, { error_code: error.errorCode, message: error.message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    rejected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
