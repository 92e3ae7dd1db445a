// Test support for the monitoring tests: the in-process services (in-process-services.ts) with a
// tracking result, a measured campaign and an expiring API key stored, driven through every route so that /metrics
// shows every series.

import {
  decideCampaign,
  randomControl,
  runCampaignWindow,
  simulateCampaignPopulation,
} from "@pp/ml/campaigns/campaign-simulator.ts";
import { measureCampaign } from "@pp/ml/campaigns/measure-campaign.ts";
import { SIMULATED_CAMPAIGN_ACTIONS } from "@pp/ml/campaigns/simulated-actions.ts";
import { forecastAccuracy } from "@pp/ml/tracking/forecast-tracking.ts";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { saveCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { trackingGauges } from "@pp/shared/metrics/tracking-metrics.ts";
import type { TrackingSnapshot } from "@pp/shared/registry/tracking-store.ts";
import { ApiKeyStore } from "../decision/src/index.ts";
import {
  demoCustomerIds,
  type InProcessServices,
  startInProcessServices,
} from "./in-process-services.ts";

export const TEST_API_KEY = "monitoring-test-key";

export interface MonitoredServices extends InProcessServices {
  customerIds: string[];
}

/** The in-process services with a tracking result and a measured campaign shown in their gauges. */
export async function startMonitoredServices(): Promise<MonitoredServices> {
  const services = await startInProcessServices({ decision: { ADMIN_API_KEYS: TEST_API_KEY } });
  // With the registry, the forecast entry polls `ml track` results into these gauges
  // (pollTrackingMetrics); here one result is shown directly.
  trackingGauges(services.forecastDeps.metrics).show([sampleTrackingSnapshot()]);
  // With `ml campaign report` results stored, the decision service shows campaign gauges.
  await saveCampaignResult(services.database, sampleCampaignResult());
  await services.decisionDeps.campaignMetrics.refresh();
  // A stored key that expires, for api_key_expiry_timestamp_seconds.
  await new ApiKeyStore(services.database).create(
    "expiring",
    ["decide"],
    new Date(Date.now() + 86_400_000),
  );
  await services.decisionDeps.apiKeys.reload();
  return { ...services, customerIds: await demoCustomerIds() };
}

/** A measured simulated campaign (what the decision service reads from campaign_results). */
export function sampleCampaignResult(): CampaignResult {
  const pop = simulateCampaignPopulation({ customers: 2000, seed: 1 });
  const decision = decideCampaign(pop, SIMULATED_CAMPAIGN_ACTIONS, {});
  const control = randomControl(pop.n, 0.3, 2);
  const run = runCampaignWindow(pop, SIMULATED_CAMPAIGN_ACTIONS, decision, control, 3);
  return measureCampaign(run.observations, {
    campaign: "sample",
    window: { start: "1997-10-01", end: "1997-12-30" },
  });
}

/** A representative `ml track` result (what the forecast service reads from forecast_tracking). */
export function sampleTrackingSnapshot(): TrackingSnapshot {
  const accuracy = forecastAccuracy("bgnbd", [0.2, 1.1, 2.5, 0.05], [0, 2, 3, 0], [0, 1, 4, 0]);
  return {
    id: 1,
    modelVersionId: 1,
    modelName: "purchase",
    version: 1,
    forecaster: accuracy.forecaster,
    windowStart: "1997-09-30",
    windowEnd: "1998-06-30",
    horizon: 39,
    timeUnit: "week",
    customers: accuracy.customers,
    metrics: accuracy.metrics,
    segments: accuracy.segments as unknown as Array<Record<string, unknown>>,
    calibration: accuracy.calibration as unknown as Array<Record<string, unknown>>,
    trackedAt: new Date(),
  };
}

type Fetcher = { request(path: string, init?: RequestInit): Response | Promise<Response> };

/**
 * Calls every kind of route once or more: success, validation error, missing key, unknown route.
 * Works on Hono apps in-process and on servers (pass `{ request: (p, i) => fetch(base + p, i) }`).
 */
export async function exerciseServices(
  forecast: Fetcher,
  decision: Fetcher,
  customerIds: readonly string[],
): Promise<void> {
  const json = { "content-type": "application/json" };
  const withKey = { ...json, Authorization: `Bearer ${TEST_API_KEY}` };
  const horizon = { value: 26, unit: "week" };
  const actions = [
    { id: "email", cost: 0.3, uplift: 0.1, margin: 12 },
    { id: "call", cost: 4, uplift: 0.35, margin: 12 },
  ];
  const expect = async (what: string, response: Promise<Response> | Response, status: number) => {
    const res = await response;
    await res.arrayBuffer();
    if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}`);
  };
  for (const app of [forecast, decision]) {
    await expect("GET /health", app.request("/health"), 200);
    await expect("GET /ready", app.request("/ready"), 200);
    await expect("GET /nope", app.request("/nope"), 404);
  }
  const ids = customerIds.slice(0, 50).map((id) => ({ id }));
  await expect(
    "POST /forecast",
    forecast.request("/forecast", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ horizon, customers: ids }),
    }),
    200,
  );
  await expect(
    "POST /forecast (bad)",
    forecast.request("/forecast", { method: "POST", headers: json, body: "{}" }),
    400,
  );
  await expect("GET /model-info", forecast.request("/model-info"), 200);
  for (const id of customerIds.slice(0, 5)) {
    await expect(
      "POST /decision",
      decision.request("/decision", {
        method: "POST",
        headers: withKey,
        body: JSON.stringify({ customer: { id }, horizon, actions }),
      }),
      200,
    );
  }
  await expect(
    "POST /decision (no key)",
    decision.request("/decision", { method: "POST", headers: json, body: "{}" }),
    401,
  );
  await expect(
    "POST /decision/batch",
    decision.request("/decision/batch", {
      method: "POST",
      headers: withKey,
      body: JSON.stringify({ customers: ids, horizon, actions, budget: 5 }),
    }),
    200,
  );
  await expect(
    "POST /decision/batch (campaign)",
    decision.request("/decision/batch", {
      method: "POST",
      headers: withKey,
      body: JSON.stringify({ customers: ids, horizon, actions, budget: 5, campaign: "monitoring" }),
    }),
    200,
  );
  await expect("GET /campaigns", decision.request("/campaigns", { headers: withKey }), 200);
}
