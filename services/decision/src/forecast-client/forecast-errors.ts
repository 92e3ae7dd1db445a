// Why a forecast could not be had. The policy decides whether that fails the decision or
// yields a marked fallback; either way the caller is told which of these it was.

export type ForecastFailureKind =
  | "timeout"
  | "circuit_open"
  | "unreachable"
  | "bad_status"
  | "bad_response"
  /** Forecast's own rate limit (429): the service is up, and refuses more calls for now. */
  | "rate_limited";

export class ForecastUnavailableError extends Error {
  override readonly name = "ForecastUnavailableError";
  constructor(
    readonly kind: ForecastFailureKind,
    message: string,
    options: { cause?: unknown; status?: number; retryAfterSeconds?: number; detail?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.detail = options.detail;
  }
  /** For the log, not the caller: the runtime's own words (they differ between runtimes). */
  readonly detail: string | undefined;
  readonly status: number | undefined;
  /** The upstream's Retry-After (seconds), when it sent one. */
  readonly retryAfterSeconds: number | undefined;
}

/**
 * Statuses by which the forecast service refuses the input this service forwarded (the caller's
 * customer or horizon): 400, 413, 422. Any other 4xx is this service's own setup — 401/403 its
 * FORECAST_API_KEY, 404/405 its FORECAST_URL — and was answered as a 400 blaming the caller, with
 * the circuit breaker never opening however many decisions it failed.
 */
const CALLER_STATUSES = new Set([400, 413, 422]);

/**
 * A refusal that says nothing of the forecast service's health: the caller's input, or its rate
 * limit (a 429 opened the breaker, and every decision failed fast for FORECAST_BREAKER_OPEN_MS).
 */
export function isNotAnOutage(err: unknown): boolean {
  return (
    isCallerError(err) || (err instanceof ForecastUnavailableError && err.kind === "rate_limited")
  );
}

export function isCallerError(err: unknown): boolean {
  return (
    err instanceof ForecastUnavailableError &&
    err.kind === "bad_status" &&
    err.status !== undefined &&
    CALLER_STATUSES.has(err.status)
  );
}

/** What to check when the forecast service refused this service's own request, if anything. */
export function setupHint(err: ForecastUnavailableError): string | null {
  if (err.kind !== "bad_status" && err.kind !== "rate_limited") return null;
  if (err.status === 401 || err.status === 403) {
    return "the forecast service refused this service's key: set FORECAST_API_KEY to one of its FORECAST_API_KEYS";
  }
  if (err.kind === "rate_limited") {
    return "the forecast service's RATE_LIMIT_RPS counts this service's calls as one client's: raise it, or leave it off behind the decision service (whose own limit is per caller)";
  }
  if (err.status === 404 || err.status === 405) {
    return "FORECAST_URL does not lead to a forecast service's POST /forecast";
  }
  return null;
}
