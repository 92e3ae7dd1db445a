// A JSON number beyond a double's range (1e999, a budget meant as "no limit") parses to Infinity,
// and every schema answered "must be a number" of what is a number. Now a 400 naming the field
// and the range, on the real decision routes (refused before any database or forecast is asked).
import { expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

const KEY = "overflowing-numbers-key-0123456789";
const actions = (cost: string) => `[{"id":"email","cost":${cost},"uplift":0.15,"margin":8}]`;
const horizon = '{"value":13,"unit":"week"}';

async function post(path: string, body: string) {
  const deps = buildDecisionDeps(parseConfig({ API_KEYS: KEY }), {
    runtime: "workerd",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const res = await createApp(deps).request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body,
  });
  await deps.audit.close(100);
  return { status: res.status, body: (await res.json()) as { error: { details: unknown } } };
}

test("a number past a double's range is a 400 naming its field and the range", async () => {
  const batch = await post(
    "/decision/batch",
    `{"customers":[{"id":"a","summary":{"frequency":1,"recency":1,"T":2}}],"horizon":${horizon},"actions":${actions("0.5")},"budget":1e999}`,
  );
  expect(batch.status).toBe(400);
  expect(batch.body.error.details).toEqual([
    { path: "budget", message: expect.stringContaining("beyond the range of a number") },
  ]);
  const one = await post(
    "/decision",
    `{"customer":{"id":"a","summary":{"frequency":1,"recency":-2e400,"T":2}},"horizon":${horizon},"actions":${actions("1E+999")}}`,
  );
  expect(one.status).toBe(400);
  expect(one.body.error.details).toEqual([
    { path: "customer.summary.recency", message: expect.stringContaining("beyond") },
    { path: "actions.0.cost", message: expect.stringContaining("beyond") },
  ]);
});
