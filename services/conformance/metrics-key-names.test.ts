// /metrics is usually open (Prometheus scrapes it without a key) and key names are operator
// labels that often name a customer or tenant ("acme-corp"): neither service's /metrics may carry
// a key's name, nor the key itself. The decision service's api_key_expiry_timestamp_seconds was
// labelled by key_name; it is labelled by key_id (the stored key's id, which names nothing;
// `npm run keys -- list` and GET /admin/keys, behind an admin key, map it to its name), and its
// alert names the id to rotate. Both services, after requests made with the keys.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { envKeyName } from "@pp/shared/http/static-api-keys.ts";
import { ApiKeyStore } from "../decision/src/index.ts";
import {
  demoCustomerIds,
  type InProcessServices,
  startInProcessServices,
} from "../testing/in-process-services.ts";

const FORECAST_KEY = "metrics-forecast-key-0123456789";
const ADMIN_KEY = "metrics-admin-key-0123456789";
const DAY = 86_400_000;
let services: InProcessServices;

beforeAll(async () => {
  services = await startInProcessServices({
    forecast: { FORECAST_API_KEYS: FORECAST_KEY },
    decision: { FORECAST_API_KEY: FORECAST_KEY, ADMIN_API_KEYS: ADMIN_KEY },
  });
}, 120_000);
afterAll(async () => {
  await services?.close();
});

const metricsOf = async (app: InProcessServices["decision"]) =>
  (await app.request("/metrics")).text();

test("neither service's /metrics names an API key or holds one; expiry is by key id", async () => {
  const store = new ApiKeyStore(services.database);
  const tenant = await store.create(
    "acme-corp-tenant",
    ["decide"],
    new Date(Date.now() + 30 * DAY),
  );
  const rotatedFrom = await store.create(
    "globex-shop",
    ["decide"],
    new Date(Date.now() + 10 * DAY),
  );
  const rotated = await store.rotate(rotatedFrom.id, { graceHours: 1, lifetimeDays: 60 });
  await services.decisionDeps.apiKeys.reload();
  const [customer] = await demoCustomerIds();
  const decided = await services.decision.request("/decision", {
    method: "POST",
    headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id: customer },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
    }),
  });
  expect(decided.status).toBe(200);
  const forecast = await services.forecast.request("/forecast", {
    method: "POST",
    headers: { "x-api-key": FORECAST_KEY, "content-type": "application/json" },
    body: JSON.stringify({ customers: [{ id: customer }], horizon: { value: 13, unit: "week" } }),
  });
  expect(forecast.status).toBe(200);

  const decision = await metricsOf(services.decision);
  const forecastText = await metricsOf(services.forecast);
  const envNames = await Promise.all(
    [FORECAST_KEY, ADMIN_KEY].map(async (k) =>
      envKeyName(await sha256Hex(new TextEncoder().encode(k))).slice(4),
    ),
  );
  for (const text of [decision, forecastText]) {
    expect(text).toContain("http_requests_total");
    for (const secret of ["acme-corp", "globex", "key_name", tenant.key, FORECAST_KEY, ADMIN_KEY])
      expect(text).not.toContain(secret);
    for (const name of envNames) expect(text).not.toContain(name);
  }
  // Per name, its latest key: the rotated name shows its successor's id and 60 days.
  const expiry = (id: number) => {
    const line = decision
      .split("\n")
      .find((l) => l.startsWith(`api_key_expiry_timestamp_seconds{key_id="${id}"}`));
    return line === undefined ? undefined : Number(line.split(" ")[1]) * 1000 - Date.now();
  };
  expect(Math.abs((expiry(tenant.id) as number) - 30 * DAY)).toBeLessThan(60_000);
  expect(Math.abs((expiry(rotated?.created.id as number) as number) - 60 * DAY)).toBeLessThan(
    60_000,
  );
  expect(expiry(rotatedFrom.id)).toBeUndefined();
}, 60_000);
