// What the caller hears when the forecast could not be had and the policy says fail: a clean
// 4xx/5xx naming the reason (never a 500, never a guess presented as a forecast).
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import {
  type ForecastUnavailableError,
  isCallerError,
  setupHint,
} from "../forecast-client/forecast-errors.ts";

export function forecastFailureError(
  err: ForecastUnavailableError,
  breaker: CircuitBreaker,
): AppError {
  if (isCallerError(err)) {
    return new AppError("bad_request", `The forecast service refused the input: ${err.message}`, {
      details: [{ path: "customer", message: err.message }],
    });
  }
  const retryAfter = String(
    Math.ceil(err.retryAfterSeconds ?? 0) || Math.max(1, Math.ceil(breaker.retryAfterMs() / 1000)),
  );
  const hint = setupHint(err);
  return new AppError(
    err.kind === "timeout" ? "gateway_timeout" : "unavailable",
    `Forecast unavailable (${err.kind}): ${err.message}${hint ? `; ${hint}` : ""}`,
    {
      details: { forecast: { reason: err.kind } },
      headers: { "Retry-After": retryAfter },
      ...(err.detail === undefined ? {} : { logDetail: err.detail }),
    },
  );
}
