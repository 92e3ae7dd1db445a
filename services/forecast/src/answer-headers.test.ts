// Forecast's answers hold customers' forecasts: `Cache-Control: no-store` and `nosniff` on each,
// errors included (shared/http/answer-headers.ts; they carried neither).
import { expect, test } from "bun:test";
import { answerHeaders } from "@pp/shared/http/answer-headers.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "./app.ts";
import { parseConfig } from "./config.ts";
import { buildForecastDeps } from "./deps.ts";

test("forecast's answers and errors: no-store, nosniff", async () => {
  const deps = buildForecastDeps(parseConfig({}), {
    runtime: "test",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps);
  expect(answerHeaders(await app.request("/health"))).toEqual(["no-store", "nosniff"]);
  const bad = await app.request("/forecast", { method: "POST", body: "{" });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  expect(answerHeaders(bad)).toEqual(["no-store", "nosniff"]);
});
