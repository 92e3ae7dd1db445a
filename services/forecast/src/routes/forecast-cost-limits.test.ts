// What one /forecast may cost with intervals or distributions: past INTERVALS_TIME_LIMIT_MS or
// DISTRIBUTION_MAX_VALUES it is a 413 naming the field and what fits, and a request whose client
// has gone stops computing. Before, one 1 MB request (10,000 heavy buyers over five years with a
// distribution) computed for two minutes to 2.25 GB, and went on after its client hung up.
import { beforeAll, expect, test } from "bun:test";
import type { Hono } from "hono";
import { appServingBundle } from "../testing/bundle-app.ts";
import { trainDemoBundle } from "../testing/demo-bundle.ts";

let files: Map<string, Uint8Array>;
beforeAll(async () => {
  files = (await trainDemoBundle({ customers: 500, seed: 3 })).files;
}, 120_000);

const appWith = async (env: Record<string, string>) => (await appServingBundle(files, env)).app;

/** `n` heavy buyers over five years: thousands of PMF entries each. */
const heavy = (n: number, extra: Record<string, unknown>) => ({
  horizon: { value: 1826, unit: "day" },
  intervals: [0.8, 0.95],
  customers: Array.from({ length: n }, (_, i) => ({
    id: `h${i}`,
    summary: { frequency: 300, recency: 100, T: 100 + i * 1e-4, monetary: 20 },
  })),
  ...extra,
});

const post = (app: Hono<never>, body: unknown, signal?: AbortSignal) =>
  app.request("/forecast", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

type ErrorBody = { error: { code: string; message: string; details: Array<{ path: string }> } };

test("past the time limit: a 413 naming customers and how many fit, within about the limit", async () => {
  const app = await appWith({ INTERVALS_TIME_LIMIT_MS: "300" });
  const started = performance.now();
  const res = await post(app, heavy(3000, {}));
  const ms = performance.now() - started;
  expect(res.status).toBe(413);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe("payload_too_large");
  expect(body.error.message).toMatch(
    /^The intervals of these 3,000 customers take longer than 0\.3 s \([\d,]+ were done\): send about [\d,]+ customers per request, or a shorter horizon$/,
  );
  expect(body.error.details[0]?.path).toBe("customers");
  expect(ms).toBeLessThan(3000);
  // A request that fits is answered as before.
  expect((await post(app, heavy(2, {}))).status).toBe(200);
});

test("a distribution past its values: a 413 naming distribution; without it the same customers are answered", async () => {
  const app = await appWith({ DISTRIBUTION_MAX_VALUES: "20000" });
  const res = await post(app, heavy(40, { distribution: true }));
  expect(res.status).toBe(413);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.message).toStartWith(
    "The distributions of these customers hold more than 20,000 values",
  );
  expect(body.error.details[0]?.path).toBe("distribution");
  expect((await post(app, heavy(40, {}))).status).toBe(200);
});

test("a client that hangs up stops the computation (499 in the log), well before it would end", async () => {
  const app = await appWith({});
  const gone = new AbortController();
  setTimeout(() => gone.abort(), 200);
  const started = performance.now();
  const res = await Promise.resolve(post(app, heavy(3000, {}), gone.signal)).catch(
    (e: unknown) => e,
  );
  const ms = performance.now() - started;
  if (res instanceof Response) expect(res.status).toBe(499);
  expect(ms).toBeLessThan(2000);
});
