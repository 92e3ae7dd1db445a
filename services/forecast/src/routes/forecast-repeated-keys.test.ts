// POST /forecast with a key repeated within one object: a 400 naming it. JSON.parse keeps the
// last, so {"id":"s", …, "id":"t"} was answered for "t" with a 200, and a second "horizon"
// replaced the first without a word (only POST /admin/policies refused a repeat).
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Hono } from "hono";
import { type DemoRegistry, openDemoRegistry } from "../testing/demo-registry.ts";
import { appOnDemoRegistry } from "../testing/demo-registry-app.ts";

let demo: DemoRegistry;
let app: Hono<never>;

beforeAll(async () => {
  demo = await openDemoRegistry();
  const built = appOnDemoRegistry(demo);
  app = built.app;
  expect(await built.deps.model.refresh()).toBe("loaded");
}, 180_000);
afterAll(async () => {
  await demo?.close();
});

const summary = '{"frequency":2,"recency":10,"T":20,"monetary":30}';
const horizon = '{"value":13,"unit":"week"}';

test("a repeated key is a 400 naming it; the same body without the repeat is a 200", async () => {
  const cases: Array<[string, string]> = [
    [
      `{"horizon":${horizon},"customers":[{"id":"s","summary":${summary},"id":"t"}]}`,
      "customers.0.id",
    ],
    [
      `{"horizon":${horizon},"customers":[{"id":"s","summary":${summary}}],"horizon":{"value":2,"unit":"week"}}`,
      "horizon",
    ],
  ];
  for (const [body, path] of cases) {
    const res = await app.request("/forecast", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    const { error } = (await res.json()) as {
      error: { details?: Array<{ path: string; message: string }> };
    };
    expect([res.status, error.details?.[0]?.path]).toEqual([400, path]);
    expect(error.details?.[0]?.message).toContain("appears twice");
  }
  const fine = await app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: `{"horizon":${horizon},"customers":[{"id":"s","summary":${summary}}]}`,
  });
  expect(fine.status).toBe(200);
});
