// Forecast's answers hold customers' forecasts: `Cache-Control: no-store` and `nosniff` on each,
// errors included (shared/http/answer-headers.ts; they carried neither). /forecast builds its own
// Response (jsonAnswer), small and gzip: those carry them too.
import { expect, test } from "bun:test";
import { answerHeaders } from "@pp/shared/http/answer-headers.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "./app.ts";
import { parseConfig } from "./config.ts";
import { buildForecastDeps } from "./deps.ts";
import { appServingBundle } from "./testing/bundle-app.ts";
import { trainDemoBundle } from "./testing/demo-bundle.ts";

test("forecast's answers and errors: no-store, nosniff", async () => {
  const deps = buildForecastDeps(parseConfig({}), {
    runtime: "test",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps);
  expect(answerHeaders(await app.request("/health"))).toEqual(["no-store", "nosniff"]);
  expect(answerHeaders(await app.request("/health", { method: "HEAD" }))).toEqual([
    "no-store",
    "nosniff",
  ]);
  expect(answerHeaders(await app.request("/metrics"))).toEqual(["no-store", "nosniff"]);
  const bad = await app.request("/forecast", { method: "POST", body: "{" });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  expect(answerHeaders(bad)).toEqual(["no-store", "nosniff"]);
});

test("a /forecast answer, small and gzip: no-store, nosniff", async () => {
  const { app, ids } = await appServingBundle((await trainDemoBundle({ customers: 300 })).files);
  const forecast = (customers: unknown[], gzip: boolean) =>
    app.request("/forecast", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(gzip ? { "accept-encoding": "gzip" } : {}),
      },
      body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers }),
    });
  const small = await forecast([{ id: ids[0] }], false);
  expect(small.status).toBe(200);
  expect(answerHeaders(small)).toEqual(["no-store", "nosniff"]);
  const large = await forecast(
    ids.slice(0, 100).map((id) => ({ id })),
    true,
  );
  expect(large.status).toBe(200);
  expect(large.headers.get("content-encoding")).toBe("gzip");
  expect(answerHeaders(large)).toEqual(["no-store", "nosniff"]);
}, 120_000);

test("every registered route's answer, whatever its status: no-store, nosniff", async () => {
  const { app } = await appServingBundle((await trainDemoBundle({ customers: 100 })).files);
  const seen: string[] = [];
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    const path = route.path.replace(/:[^/]+/g, "x");
    const res = await app.request(path, {
      method: route.method,
      headers: { "content-type": "application/json" },
      ...(route.method === "GET" || route.method === "HEAD" ? {} : { body: "{}" }),
    });
    await res.arrayBuffer();
    const [cache, sniff] = answerHeaders(res);
    if (cache === null || sniff !== "nosniff") seen.push(`${route.method} ${path} ${res.status}`);
  }
  expect(seen).toEqual([]);
  expect(app.routes.length).toBeGreaterThan(5);
}, 120_000);
