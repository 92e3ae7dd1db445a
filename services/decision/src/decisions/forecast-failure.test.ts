// What a caller hears when the forecast could not be had: the reason, and when to retry.
import { expect, test } from "bun:test";
import { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import { ForecastUnavailableError } from "../forecast-client/forecast-errors.ts";
import { forecastFailureError } from "./forecast-failure.ts";

test("the forecast service's rate limit: 503 with its Retry-After, naming the limit to raise", () => {
  const err = new ForecastUnavailableError("rate_limited", "forecast service answered 429", {
    status: 429,
    retryAfterSeconds: 7,
  });
  const answer = forecastFailureError(err, new CircuitBreaker({}));
  expect(answer.status).toBe(503);
  expect(answer.headers?.["Retry-After"]).toBe("7");
  expect(answer.message).toContain("Forecast unavailable (rate_limited)");
  expect(answer.message).toContain("RATE_LIMIT_RPS");
});

test("an outage: 503 with the breaker's retry time", () => {
  const err = new ForecastUnavailableError("unreachable", "forecast service unreachable", {
    detail: "fetch failed",
  });
  const answer = forecastFailureError(err, new CircuitBreaker({}));
  expect(answer.status).toBe(503);
  expect(answer.headers?.["Retry-After"]).toBe("1");
  // The runtime's words reach the log, not the caller.
  expect(answer.logDetail).toBe("fetch failed");
  expect(answer.message).not.toContain("fetch failed");
});
