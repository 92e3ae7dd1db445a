// What `npm start` hands each service: the rate limit is the decision service's alone when both
// run, since every decision's forecast is a call from it (forecast's limit counted its callers as
// one client, and its 429s failed decisions their own limit allowed).
import { expect, test } from "bun:test";
import { serviceEnv } from "./service-env.ts";

const parent = { RATE_LIMIT_RPS: "2", RATE_LIMIT_BURST: "4", LOG_LEVEL: "warn" };
const ports = { forecast: "18001", decision: "18002" };

test("both services: the decision service limits its callers, forecast behind it does not", () => {
  const both = ["forecast", "decision"] as const;
  const forecast = serviceEnv("forecast", parent, ports, both);
  expect(forecast.RATE_LIMIT_RPS).toBeUndefined();
  expect(forecast.RATE_LIMIT_BURST).toBeUndefined();
  expect(forecast).toMatchObject({ PORT: "18001", LOG_LEVEL: "warn" });
  const decision = serviceEnv("decision", parent, ports, both);
  expect(decision).toMatchObject({
    PORT: "18002",
    RATE_LIMIT_RPS: "2",
    RATE_LIMIT_BURST: "4",
    FORECAST_URL: "http://127.0.0.1:18001",
  });
});

test("forecast alone keeps its limit; a FORECAST_URL given is kept", () => {
  expect(serviceEnv("forecast", parent, ports, ["forecast"]).RATE_LIMIT_RPS).toBe("2");
  const elsewhere = { ...parent, FORECAST_URL: "http://forecast:8001" };
  expect(serviceEnv("decision", elsewhere, ports, ["decision"]).FORECAST_URL).toBe(
    "http://forecast:8001",
  );
});
