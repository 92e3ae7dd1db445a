// The decision service misconfigured towards forecast (real processes): a FORECAST_API_KEY the
// forecast service refuses, or a FORECAST_URL that is not a forecast service. Decisions are 503s
// naming the variable to fix and the breaker opens, instead of 400s blaming the caller's input
// with the breaker never opening.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { writeDemoBundleDir } from "../testing/in-process-services.ts";
import { API_KEY, type ServiceProcess, startProcess } from "../testing/service-processes.ts";

let forecast: ServiceProcess;
// Some other web service, where FORECAST_URL should not lead: 404 for everything.
const otherService = Bun.serve({ port: 0, fetch: () => new Response("not here", { status: 404 }) });
let bundleDir = "";
const dirs: string[] = [];
const live: ServiceProcess[] = [];

beforeAll(async () => {
  bundleDir = await writeDemoBundleDir();
  forecast = startProcess(
    "forecast",
    { MODEL_SOURCE: `bundle:${bundleDir}`, MODEL_POLL_INTERVAL_MS: "0", FORECAST_API_KEYS: "fk-1" },
    await freePort(),
  );
  live.push(forecast);
  await until(async () => (await fetch(`${forecast.base}/ready`)).ok);
}, 120_000);

afterAll(() => {
  otherService.stop(true);
  for (const p of live) p.child.kill("SIGKILL");
  for (const d of [bundleDir, ...dirs]) rmSync(d, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(100);
  }
}

async function decisionTowards(env: Record<string, string>): Promise<ServiceProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "pp-forecast-setup-"));
  dirs.push(dataDir);
  const decision = startProcess(
    "decision",
    { API_KEYS: API_KEY, DECISION_DATA_DIR: dataDir, FORECAST_BREAKER_FAILURES: "3", ...env },
    await freePort(),
  );
  live.push(decision);
  // Ready, not just up: a fresh embedded store takes seconds to create and migrate (4-7 s on a
  // loaded machine), and a decision sent before that is a 503 about the policy, not forecast.
  // (/ready is 200 with forecast "degraded", as here.)
  await until(async () => (await fetch(`${decision.base}/ready`)).ok);
  return decision;
}

const decide = (base: string) =>
  fetch(`${base}/decision`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id: "c-1", summary: { frequency: 2, recency: 20, T: 30, monetary: 25 } },
      horizon: { value: 4, unit: "week" },
      actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
    }),
  }).then(async (res) => ({
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string } },
  }));

for (const [what, env, names] of [
  ["a refused FORECAST_API_KEY", { FORECAST_API_KEY: "fk-wrong" }, "FORECAST_API_KEY"],
  ["no FORECAST_API_KEY at all", {}, "FORECAST_API_KEY"],
  ["a FORECAST_URL that is not a forecast service", { FORECAST_URL: "other" }, "FORECAST_URL"],
] as const) {
  test(`${what}: 503 naming ${names}, and the breaker opens`, async () => {
    const url = "FORECAST_URL" in env ? otherService.url.href : forecast.base;
    const decision = await decisionTowards({ ...env, FORECAST_URL: url });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await decide(decision.base));
    // Before: five 400s "The forecast service refused the input", the breaker closed throughout.
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503, 503, 503]);
    expect(answers[0]?.body.error?.message).toContain(names);
    expect(answers[4]?.body.error?.message).toContain("circuit is open");
  }, 120_000);
}
