// Logs a training run to an MLflow tracking server through its REST API (fetch only, so it runs on
// any runtime): experiment, params, metrics, artifacts through the server's artifact proxy, and a
// registered model version. Tracking is optional: every failure becomes a warning, never a throw.

/** A file to upload as a run artifact, at a `/`-separated path under the run's artifact root. */
export interface RunArtifact {
  path: string;
  bytes: Uint8Array;
}

export interface TrainingRunInput {
  experiment: string;
  runName: string;
  /** Nested objects are flattened to dotted keys; non-strings are JSON-encoded. */
  params: Record<string, unknown>;
  /** Non-finite values cannot be sent as JSON and are skipped with a warning. */
  metrics: Record<string, number>;
  artifacts: RunArtifact[];
  /** When set, a version of this registered model is created from the run. */
  modelName?: string;
  tags?: Record<string, string>;
  /** Artifact sub-directory that holds the model (default `model`); the version's source. */
  modelArtifactPath?: string;
}

/** A run that was logged (and registered, with `modelName`). */
interface TrackedRun {
  runId: string;
  experimentId: string;
  /** The registered model version (MLflow numbers them as strings), or null without modelName. */
  modelVersion: string | null;
  /** Things skipped or adjusted on the way (e.g. a truncated param). */
  notes: string[];
}

/** Tracking failed; training should print the warning and carry on. */
export interface TrackingWarning {
  warning: string;
  /** Set when the run had been created before the failure (it is then marked FAILED). */
  runId?: string;
}

export type TrainingRunResult = TrackedRun | TrackingWarning;

/** Whether tracking failed (narrows the result). */
export function isTrackingWarning(result: TrainingRunResult): result is TrackingWarning {
  return "warning" in result;
}

export interface MlflowTrackerOptions {
  /** e.g. `http://127.0.0.1:5000` */
  trackingUri: string;
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
  /** Extra headers, e.g. an Authorization header. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** An error answer from MLflow (`error_code` / `message`) or a transport failure. */
class MlflowRequestError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number | null,
    readonly errorCode: string | null,
    message: string,
  ) {
    super(`MLflow ${endpoint}: ${errorCode ? `${errorCode}: ` : ""}${message}`);
    this.name = "MlflowRequestError";
  }
}

/** MLflow's documented limits for one runs/log-batch request. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;
const PARAM_VALUE_MAX = 6000;
const KEY_MAX = 250;

interface Entry {
  key: string;
  value: string;
}
interface MetricEntry {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export class MlflowTracker {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: MlflowTrackerOptions) {
    this.base = options.trackingUri.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** A tracker for `MLFLOW_TRACKING_URI` (with `MLFLOW_TRACKING_TOKEN` as bearer), or null. */
  static fromEnv(env: Record<string, string | undefined>): MlflowTracker | null {
    const trackingUri = env.MLFLOW_TRACKING_URI?.trim();
    if (!trackingUri || !/^https?:\/\//.test(trackingUri)) return null;
    const token = env.MLFLOW_TRACKING_TOKEN?.trim();
    return new MlflowTracker({
      trackingUri,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  }

  /**
   * Logs a finished training run and (with `modelName`) registers a model version from it.
   * Never throws: when MLflow is unreachable or refuses a request the result is `{ warning }`.
   */
  async logTrainingRun(input: TrainingRunInput): Promise<TrainingRunResult> {
    let runId: string | undefined;
    try {
      const notes: string[] = [];
      const experimentId = await this.experimentId(input.experiment);
      const now = Date.now();
      const tags = toEntries({ "mlflow.runName": input.runName, ...input.tags }, notes, "tag");
      const created = await this.call<{ run: { info: { run_id: string; artifact_uri?: string } } }>(
        "runs/create",
        {
          experiment_id: experimentId,
          run_name: input.runName,
          start_time: now,
          tags: tags.slice(0, LOG_BATCH_LIMITS.tags),
        },
      );
      runId = created.run.info.run_id;
      const artifactUri =
        created.run.info.artifact_uri ?? `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;

      const params = toEntries(flattenParams(input.params), notes, "param");
      const metrics: MetricEntry[] = [];
      for (const [key, value] of Object.entries(input.metrics)) {
        if (typeof value === "number" && Number.isFinite(value)) {
          metrics.push({ key, value, timestamp: now, step: 0 });
        } else {
          notes.push(`metric ${key} skipped: ${String(value)} is not a finite number`);
        }
      }
      for (const batch of logBatches(metrics, params, tags.slice(LOG_BATCH_LIMITS.tags))) {
        await this.call("runs/log-batch", { run_id: runId, ...batch });
      }

      const artifactRoot = proxiedArtifactPath(artifactUri);
      if (artifactRoot === null) {
        if (input.artifacts.length > 0) {
          notes.push(
            `artifacts not uploaded: the run's artifact root ${artifactUri} is not served by the tracking server's artifact proxy`,
          );
        }
      } else {
        for (const artifact of input.artifacts) await this.upload(artifactRoot, artifact);
      }
      await this.call("runs/update", { run_id: runId, status: "FINISHED", end_time: Date.now() });

      let modelVersion: string | null = null;
      if (input.modelName) {
        try {
          await this.call("registered-models/create", { name: input.modelName });
        } catch (error) {
          if (
            !(error instanceof MlflowRequestError && error.errorCode === "RESOURCE_ALREADY_EXISTS")
          ) {
            throw error;
          }
        }
        const modelPath = (input.modelArtifactPath ?? "model").replace(/^\/+|\/+$/g, "");
        const version = await this.call<{ model_version: { version: string | number } }>(
          "model-versions/create",
          { name: input.modelName, source: `${artifactUri}/${modelPath}`, run_id: runId },
        );
        modelVersion = String(version.model_version.version);
      }
      return { runId, experimentId, modelVersion, notes };
    } catch (error) {
      if (runId) {
        // Best effort, so the run does not stay RUNNING forever in the MLflow UI.
        await this.call("runs/update", {
          run_id: runId,
          status: "FAILED",
          end_time: Date.now(),
        }).catch(() => {});
      }
      const reason = error instanceof Error ? error.message : String(error);
      return {
        warning: `MLflow tracking at ${this.base} failed, training continues without it: ${reason}`,
        ...(runId ? { runId } : {}),
      };
    }
  }

  private async experimentId(name: string): Promise<string> {
    const lookup = async () => {
      const found = await this.call<{ experiment: { experiment_id: string } }>(
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
      );
      return found.experiment.experiment_id;
    };
    try {
      return await lookup();
    } catch (error) {
      if (!(error instanceof MlflowRequestError && error.errorCode === "RESOURCE_DOES_NOT_EXIST")) {
        throw error;
      }
    }
    try {
      const created = await this.call<{ experiment_id: string }>("experiments/create", { name });
      return created.experiment_id;
    } catch (error) {
      // Another trainer created it in the meantime.
      if (error instanceof MlflowRequestError && error.errorCode === "RESOURCE_ALREADY_EXISTS") {
        return lookup();
      }
      throw error;
    }
  }

  /** GET when `body` is undefined, else POST JSON, to /api/2.0/mlflow/<endpoint>. */
  private async call<T = Record<string, unknown>>(endpoint: string, body?: unknown): Promise<T> {
    const init: RequestInit = {
      method: body === undefined ? "GET" : "POST",
      headers: {
        ...this.options.headers,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    const [name = endpoint] = endpoint.split("?");
    return this.send<T>(name, `${this.base}/api/2.0/mlflow/${endpoint}`, init);
  }

  private async upload(root: string, artifact: RunArtifact): Promise<void> {
    const path = artifact.path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
    const url = `${this.base}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`;
    await this.send(`artifacts PUT ${artifact.path}`, url, {
      method: "PUT",
      headers: { ...this.options.headers, "content-type": "application/octet-stream" },
      body: artifact.bytes as BodyInit,
    });
  }

  private async send<T>(endpoint: string, url: string, init: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      const reason = timedOut
        ? `no answer within ${this.timeoutMs} ms`
        : `cannot reach ${this.base} (${error instanceof Error ? error.message : String(error)})`;
      throw new MlflowRequestError(endpoint, null, null, reason);
    }
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      if (response.ok)
        throw new MlflowRequestError(endpoint, response.status, null, "answer is not JSON");
    }
    if (!response.ok) {
      const code = typeof json.error_code === "string" ? json.error_code : null;
      const message = typeof json.message === "string" ? json.message : `HTTP ${response.status}`;
      throw new MlflowRequestError(endpoint, response.status, code, message);
    }
    return json as T;
  }
}

/** `{ a: { b: 1 } }` → `{ "a.b": 1 }`; arrays and scalars stay leaves. */
export function flattenParams(
  params: Record<string, unknown>,
  prefix = "",
): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      Object.assign(flat, flattenParams(value as Record<string, unknown>, name));
    } else {
      flat[name] = value;
    }
  }
  return flat;
}

/** Key/value string entries within MLflow's size limits; oversize values are truncated, noted. */
function toEntries(
  values: Record<string, unknown>,
  notes: string[],
  kind: "param" | "tag",
): Entry[] {
  const entries: Entry[] = [];
  for (const [rawKey, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const key = rawKey.slice(0, KEY_MAX);
    let value = typeof raw === "string" ? raw : JSON.stringify(raw);
    if (kind === "param" && value.length > PARAM_VALUE_MAX) {
      notes.push(`param ${key} truncated from ${value.length} to ${PARAM_VALUE_MAX} characters`);
      value = value.slice(0, PARAM_VALUE_MAX);
    }
    entries.push({ key, value });
  }
  return entries;
}

/** Splits metrics, params and tags into log-batch bodies within {@link LOG_BATCH_LIMITS}. */
export function logBatches(
  metrics: MetricEntry[],
  params: Entry[],
  tags: Entry[],
): { metrics: MetricEntry[]; params: Entry[]; tags: Entry[] }[] {
  const batches: { metrics: MetricEntry[]; params: Entry[]; tags: Entry[] }[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    let room: number = LOG_BATCH_LIMITS.total;
    const nP = Math.min(params.length - p, LOG_BATCH_LIMITS.params, room);
    room -= nP;
    const nT = Math.min(tags.length - t, LOG_BATCH_LIMITS.tags, room);
    room -= nT;
    const nM = Math.min(metrics.length - m, LOG_BATCH_LIMITS.metrics, room);
    batches.push({
      metrics: metrics.slice(m, m + nM),
      params: params.slice(p, p + nP),
      tags: tags.slice(t, t + nT),
    });
    m += nM;
    p += nP;
    t += nT;
  }
  return batches;
}

/** `mlflow-artifacts:/1/abc/artifacts` (or with a host) → `1/abc/artifacts`; null for other schemes. */
function proxiedArtifactPath(artifactUri: string): string | null {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/+(.*?)\/*$/.exec(artifactUri);
  return match?.[1] ?? null;
}
