// POST /forecast over a mixed set of 320 requests (ids, unknown ids, extreme summaries,
// transactions, as_of, intervals, distribution, horizons): an answer does not depend on what was
// asked before, on requests in flight at the same time, or on the batch it came in (the shared
// scratch and caches of the forecasting path must leave no trace between calls).
import { beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { bundleModelSource } from "../model/model-sources.ts";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { memoryReader, trainDemoBundle } from "../testing/demo-bundle.ts";
import { mixedForecastRequests } from "../testing/mixed-requests.ts";

let app: ReturnType<typeof createApp>;
let bodies: Record<string, unknown>[];

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 1000, seed: 5 });
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0" }), {
    runtime: "test",
    modelSource: bundleModelSource({
      read: memoryReader(demo.files),
      description: "test",
      engine: typescriptEngine,
    }),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  app = createApp(deps);
  expect(await deps.model.refresh()).toBe("loaded");
  const ids = deps.model.current?.customers.columns.ids ?? [];
  bodies = mixedForecastRequests(ids, 320) as Record<string, unknown>[];
}, 120_000);

/** The answer's text without its clock (generated_at). */
async function answer(body: unknown): Promise<string> {
  const res = await app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.text()).replace(/"generated_at":"[^"]*",/, "");
}

describe("POST /forecast over a mixed set of requests", () => {
  test("the same answers in order, in reverse order and all in flight at once", async () => {
    const inOrder: string[] = [];
    for (const body of bodies) inOrder.push(await answer(body));
    const reversed: string[] = [];
    for (const body of [...bodies].reverse()) reversed.push(await answer(body));
    expect(reversed.reverse()).toEqual(inOrder);
    expect(await Promise.all(bodies.map(answer))).toEqual(inOrder);
    const kinds = inOrder.join("\n");
    for (const needed of ['"basis":"id"', '"basis":"summary"', '"basis":"transactions"']) {
      expect(kinds).toContain(needed);
    }
    expect(kinds).toContain('"unknown_customer"');
    expect(kinds).toContain('"intervals"');
    expect(kinds).toContain('"distribution"');
  }, 120_000);

  test("each customer of a batch gets the answer it gets alone", async () => {
    let compared = 0;
    for (const body of bodies) {
      const customers = body.customers as unknown[];
      if (customers.length < 2) continue;
      const together = JSON.parse(await answer(body)).forecasts as unknown[];
      for (const [i, customer] of customers.entries()) {
        const alone = JSON.parse(await answer({ ...body, customers: [customer] })).forecasts;
        expect(alone).toEqual([together[i]]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  }, 120_000);
});
