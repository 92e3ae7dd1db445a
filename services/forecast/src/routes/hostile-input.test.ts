// /forecast under hostile input, by property: any value (NUL, lone surrogates, 1e308, -0, huge or
// deep JSON, wrong types) in any field of an otherwise valid request is answered 200 or a 4xx
// JSON error naming a field, never a 500; and the service answers a normal request after each.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import type { Hono } from "hono";
import { type DemoRegistry, openDemoRegistry } from "../testing/demo-registry.ts";
import { appOnDemoRegistry } from "../testing/demo-registry-app.ts";

let demo: DemoRegistry;
let app: Hono<never>;

beforeAll(async () => {
  demo = await openDemoRegistry();
  const built = appOnDemoRegistry(demo);
  app = built.app;
  // With polling off (MODEL_POLL_INTERVAL_MS 0) the model loads when asked.
  expect(await built.deps.model.refresh()).toBe("loaded");
}, 180_000);
afterAll(async () => {
  await demo?.close();
});

const post = (body: string) =>
  app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });

const valid = () => ({
  horizon: { value: 13, unit: "week" } as Record<string, unknown>,
  intervals: [0.8] as unknown,
  customers: [
    { id: "s", summary: { frequency: 2, recency: 10, T: 20, monetary: 30 } },
    {
      id: "t",
      transactions: [
        { at: "2026-01-05", amount: 12.5 },
        { at: "2026-02-01T10:00:00Z", amount: 20 },
      ],
    },
  ] as Array<Record<string, unknown>>,
});

/** Where a hostile value goes: a path in the valid request ("customers.2" adds a customer). */
const PLACES = [
  "horizon.value",
  "horizon.unit",
  "intervals",
  "intervals.0",
  "customers.0.id",
  "customers.0.summary",
  "customers.0.summary.frequency",
  "customers.0.summary.recency",
  "customers.0.summary.T",
  "customers.0.summary.monetary",
  "customers.1.transactions",
  "customers.1.transactions.0.at",
  "customers.1.transactions.0.amount",
  "customers.2",
  "as_of",
  "discount_rate",
];

/** `body` with `value` at `path` (every step but the last exists in the valid request). */
function put(body: Record<string, unknown>, path: string, value: unknown): void {
  const steps = path.split(".");
  let at = body as Record<string, unknown>;
  for (const step of steps.slice(0, -1)) at = at[step] as Record<string, unknown>;
  at[steps.at(-1) as string] = value;
}

/** Strings PostgreSQL or JSON tooling choke on, numbers at the edges, and any JSON at all. */
const hostile = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x\udfffy",
    "",
    " ",
    "1e308",
    "NaN",
    "-0",
    "2026-02-30",
    "9999-12-31T23:59:59Z",
    "0000-01-01",
    "0099-12-31",
    "9999-12-31",
    "🙂".repeat(1000),
  ),
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -0,
    0,
    -1,
    2 ** 53 + 1,
    1e-320,
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.jsonValue({ maxDepth: 4 }),
);

test("any hostile value in any field of /forecast: 200 or a 4xx naming a field, never a 500", async () => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...PLACES), hostile, async (where, value) => {
      const body = valid();
      put(body, where, value);
      // JSON.stringify writes a lone surrogate as \udXXX, as a client's encoder would.
      const res = await post(JSON.stringify(body));
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      const text = await res.text();
      if (res.status >= 500)
        throw new Error(`${where} = ${JSON.stringify(value)}: ${res.status} ${text}`);
      const json = JSON.parse(text) as { error?: { details?: Array<{ path: string }> } };
      if (res.status >= 400) expect(json.error).toBeDefined();
    }),
    { numRuns: 600, seed: 20261203 },
  );
  // The service still answers a plain request the same way after all that.
  const after = await post(JSON.stringify(valid()));
  expect(after.status).toBe(200);
  console.log(
    `/forecast, 600 hostile requests: statuses ${JSON.stringify(Object.fromEntries(seen))}`,
  );
}, 120_000);

// Dates at the calendar's edges as the cutoff: the year 0 made the day arithmetic throw (a 500).
test("as_of before any purchase is a 400 naming as_of; a late one is a question about the future", async () => {
  for (const asOf of ["0000-01-01", "0099-12-31", "1970-01-01"]) {
    const res = await post(JSON.stringify({ ...valid(), as_of: asOf }));
    const body = (await res.json()) as {
      error: { details: Array<{ path: string; message: string }> };
    };
    expect({ asOf, status: res.status, path: body.error.details[0]?.path }).toEqual({
      asOf,
      status: 400,
      path: "as_of",
    });
  }
  for (const asOf of ["2026-03-01", "9999-12-31"]) {
    expect((await post(JSON.stringify({ ...valid(), as_of: asOf }))).status).toBe(200);
  }
});
