// The decision service's client for POST /forecast: one transport (HTTP, service binding or
// in-process), a timeout on every call, and a circuit breaker so a failing forecast service
// costs a fast, named failure instead of a pile of hanging requests.
import { CircuitBreaker, type CircuitBreakerOptions } from "./circuit-breaker.ts";
import {
  type ForecastRequest,
  type ForecastResponse,
  readForecastResponse,
} from "./forecast-contract.ts";
import { ForecastUnavailableError, isNotAnOutage } from "./forecast-errors.ts";
import type { ForecastTransport } from "./forecast-transports.ts";

export interface ForecastClient {
  /** `timeoutMs` replaces the client's for this call (a batch's forecast takes longer). */
  forecast(request: ForecastRequest, options?: { timeoutMs?: number }): Promise<ForecastResponse>;
  readonly breaker: CircuitBreaker;
}

export interface ForecastClientOptions {
  transport: ForecastTransport;
  /** Base URL the request is addressed to (a placeholder for bindings and in-process). */
  baseUrl?: string;
  timeoutMs?: number;
  breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Sent as X-API-Key (forecast's optional FORECAST_API_KEYS). */
  apiKey?: string;
  /** Sent as X-Request-Id so forecast logs can be joined with decision logs. */
  requestId?: () => string | undefined;
}

export function createForecastClient(options: ForecastClientOptions): ForecastClient {
  const url = new URL("/forecast", options.baseUrl ?? "http://forecast.internal").href;
  const defaultTimeoutMs = options.timeoutMs ?? 2000;
  const breaker =
    options.breaker instanceof CircuitBreaker
      ? options.breaker
      : new CircuitBreaker(options.breaker ?? {});

  async function callOnce(body: ForecastRequest, timeoutMs: number): Promise<ForecastResponse> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Raced as well as aborted: an in-process app or a binding may not honour the signal.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new ForecastUnavailableError(
            "timeout",
            `forecast service timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
    });
    try {
      const request = forecastRequest(url, body, options, controller.signal);
      const exchange = send(options.transport, request, controller.signal).then(readAnswer);
      return await Promise.race([exchange, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    breaker,
    async forecast(body, call = {}) {
      if (!breaker.tryAcquire()) {
        throw new ForecastUnavailableError(
          "circuit_open",
          `forecast service circuit is open (retry in ${Math.ceil(breaker.retryAfterMs() / 1000)} s)`,
        );
      }
      try {
        const answer = await callOnce(body, call.timeoutMs ?? defaultTimeoutMs);
        breaker.onSuccess();
        return answer;
      } catch (err) {
        // An input the forecast service refuses is the caller's fault, and its rate limit is no
        // outage: neither trips the breaker. A refused key or a wrong URL does: every decision
        // would fail.
        if (isNotAnOutage(err)) breaker.onSuccess();
        else breaker.onFailure();
        throw err;
      }
    },
  };
}

/** The POST /forecast request, uncompressed, with the request id and API key when there are. */
function forecastRequest(
  url: string,
  body: ForecastRequest,
  options: ForecastClientOptions,
  signal: AbortSignal,
): Request {
  // identity: fetch asks for gzip by default, and forecast would compress a batch's answer only
  // for it to be inflated again here (~60 ms a 2.5 MB answer, between processes on one host).
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "accept-encoding": "identity",
  };
  const requestId = options.requestId?.();
  if (requestId) headers["x-request-id"] = requestId;
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  return new Request(url, { method: "POST", headers, body: JSON.stringify(body), signal });
}

/** Sends it; a transport failure (not our own abort) is the service being unreachable. */
async function send(
  transport: ForecastClientOptions["transport"],
  request: Request,
  signal: AbortSignal,
): Promise<Response> {
  try {
    return await transport(request);
  } catch (err) {
    if (signal.aborted) throw err;
    // The caller hears the same words on every runtime (Bun said "ECONNREFUSED: Unable to
    // connect…", workerd "Network connection lost.", Deno "fetch failed"); the log keeps them.
    const why = err instanceof Error ? err.message : String(err);
    throw new ForecastUnavailableError(
      "unreachable",
      "forecast service unreachable: the connection failed",
      {
        cause: err,
        detail: why,
      },
    );
  }
}

/** The answer, checked against the forecast contract; anything else is the upstream's fault. */
async function readAnswer(res: Response): Promise<ForecastResponse> {
  const text = await res.text();
  if (res.status === 429) {
    const retryAfter = Number(res.headers.get("retry-after"));
    throw new ForecastUnavailableError(
      "rate_limited",
      `forecast service answered 429 (its rate limit): ${text.slice(0, 200)}`,
      {
        status: 429,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
      },
    );
  }
  if (!res.ok) {
    throw new ForecastUnavailableError(
      "bad_status",
      `forecast service answered ${res.status}: ${text.slice(0, 200)}`,
      { status: res.status },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ForecastUnavailableError("bad_response", "forecast answer is not JSON");
  }
  const parsed = readForecastResponse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ForecastUnavailableError(
      "bad_response",
      `forecast answer does not match the contract: ${first?.path.join(".")}: ${first?.message}`,
    );
  }
  return parsed.data;
}
