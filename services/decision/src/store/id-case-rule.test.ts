// The rule learnt from forecast answers: recorded once in the decision store, not lost when the
// store is away at the first folding answer (the decision still stands; the next answer records
// it), and never recorded from a case-sensitive model's answers.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { idsAnyCase } from "@pp/shared/registry/decision-id-case.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import type { ForecastClient } from "../forecast-client/forecast-client.ts";
import type { ForecastResponse } from "../forecast-client/forecast-contract.ts";
import { learningIdCase } from "./id-case-rule.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase("pglite");
});
afterAll(async () => {
  await t?.cleanup();
});

/** A forecast client answering with this model, counting its calls. */
function answering(model: ForecastResponse["model"]): ForecastClient {
  return {
    breaker: new CircuitBreaker({}),
    forecast: async () => ({ model, forecasts: [] }),
  };
}

const request = { horizon: { value: 4, unit: "week" as const }, customers: [] };

test("a case-sensitive model's answers record nothing", async () => {
  const client = learningIdCase(
    answering({ name: "m", version: 1, ids_lower_cased: false }),
    async () => t.handle.db,
    createLogger({ sink: () => {} }),
  );
  await client.forecast(request);
  expect(await idsAnyCase(t.handle.db)).toBe(false);
});

test("the store away at the first folding answer: the answer stands, the next one records", async () => {
  const warnings: string[] = [];
  let storeUp = false;
  const client = learningIdCase(
    answering({ name: "m", version: 2, ids_lower_cased: true }),
    async () => {
      if (!storeUp) throw new Error("database unreachable");
      return t.handle.db;
    },
    createLogger({ sink: (line) => warnings.push(line) }),
  );
  expect((await client.forecast(request)).model.version).toBe(2);
  expect(warnings.join("\n")).toContain("could not record");
  expect(await idsAnyCase(t.handle.db)).toBe(false);
  storeUp = true;
  await client.forecast(request);
  expect(await idsAnyCase(t.handle.db)).toBe(true);
});
