// Why a forecast could not be had. The policy decides whether that fails the decision or
// yields a marked fallback; either way the caller is told which of these it was.

export type ForecastFailureKind =
  | "timeout"
  | "circuit_open"
  | "unreachable"
  | "bad_status"
  | "bad_response";

export class ForecastUnavailableError extends Error {
  override readonly name = "ForecastUnavailableError";
  constructor(
    readonly kind: ForecastFailureKind,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
  readonly status: number | undefined;
}

/**
 * Statuses by which the forecast service refuses the input this service forwarded (the caller's
 * customer or horizon): 400, 413, 422. Any other 4xx is this service's own setup — 401/403 its
 * FORECAST_API_KEY, 404/405 its FORECAST_URL — and was answered as a 400 blaming the caller, with
 * the circuit breaker never opening however many decisions it failed.
 */
const CALLER_STATUSES = new Set([400, 413, 422]);

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
  if (err.kind !== "bad_status") return null;
  if (err.status === 401 || err.status === 403) {
    return "the forecast service refused this service's key: set FORECAST_API_KEY to one of its FORECAST_API_KEYS";
  }
  if (err.status === 404 || err.status === 405) {
    return "FORECAST_URL does not lead to a forecast service's POST /forecast";
  }
  return null;
}
