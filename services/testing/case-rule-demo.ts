// Test support for the case-rule tests (services/reliability/decision-id-case-*): the small demo
// model registered and promoted, its ids read lower-cased (--ignore-id-case) or not, and the
// services started on free ports and killed when the test ends.
import { expect } from "bun:test";
import { buildBundle } from "@pp/ml/pipelines/build-bundle.ts";
import { trainSimulatedDemo } from "@pp/ml/pipelines/demo-model.ts";
import { registerBundle } from "@pp/ml/pipelines/register-bundle.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { waitForHttp } from "@pp/shared/testing/processes.ts";
import { type ServiceProcess, startProcess } from "./service-processes.ts";

/**
 * The 300-customer demo model, trained once per test file: the same seed gives the same model, and
 * each test registers it into a store of its own (9 trainings in the two slowest files before).
 */
let demo: ReturnType<typeof trainSimulatedDemo> | null = null;
const trainedDemo = () => {
  demo ??= trainSimulatedDemo({ customers: 300, seed: 3, source: "case-rule test" });
  return demo;
};

/** Registers the demo model, its ids read lower-cased when `foldCase`, and promotes it. */
export async function registerCaseDemo(
  db: Database,
  artifactDir: string,
  foldCase: boolean,
): Promise<void> {
  const { summaries, trained } = await trainedDemo();
  const data = { ...trained.metrics.data, ...(foldCase ? { ids_lower_cased: true } : {}) };
  const model = { ...trained, metrics: { ...trained.metrics, data } };
  const trainedAt = new Date();
  await registerBundle({
    registry: new ModelRegistry(db, new FileArtifactStore(artifactDir)),
    name: "purchase",
    bundle: buildBundle(model, { name: "purchase", trainedAt, reportHtml: "<html></html>" }),
    trained: model,
    summaries,
    trainedAt,
    promote: true,
  });
}

/** The demo registered twice: versions 1 and 2 of "purchase", 2 in production. */
export async function registerTwoVersions(db: Database, artifactDir: string): Promise<void> {
  await registerCaseDemo(db, artifactDir, false);
  await registerCaseDemo(db, artifactDir, false);
}

/**
 * Starts services with quiet logs on a free port (or `port`: a service restarted where its
 * client expects it), each killed at `cleanups`' run if still up.
 */
export function caseServiceStarter(cleanups: Array<() => Promise<void> | void>) {
  return async (name: string, env: Record<string, string>, port?: number) => {
    const p = startProcess(name, { LOG_LEVEL: "error", ...env }, port ?? (await freePort()));
    cleanups.push(() => {
      if (!p.exited()) p.child.kill("SIGKILL");
    });
    return p;
  };
}

/** Waits for `url` to answer 200 (90 s at most). */
export async function waitOk(url: string, what: string): Promise<void> {
  await waitForHttp(url, (status) => status === 200, what, 90_000);
}

export type { ServiceProcess };

/** The forecast service (of `start`) on the registry of `env`, polling it every 100 ms. */
export async function forecastOnRegistry(
  start: ReturnType<typeof caseServiceStarter>,
  env: Record<string, string>,
): Promise<string> {
  const forecast = await start("forecast", {
    ...env,
    MODEL_SOURCE: "registry",
    MODEL_POLL_INTERVAL_MS: "100",
  });
  await waitOk(`${forecast.base}/ready`, "forecast");
  return forecast.base;
}

/** The forecast service answers /model-info 200 and serves `version` within 20 s. */
export async function expectServes(base: string, version: number): Promise<void> {
  let last: unknown;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await Bun.sleep(100)) {
    const res = await fetch(`${base}/model-info`);
    expect(res.status).toBe(200);
    last = ((await res.json()) as { version?: number }).version;
    if (last === version) return;
  }
  expect(last).toBe(version);
}

/** An admin lookup's or erasure's answer, with its status. */
export interface CaseRuleAnswer {
  status: number;
  id_case?: string;
  warning?: string;
  decisions?: unknown[];
  erased?: { decisions: number };
}

/** GET or DELETE /admin/customers/:id/decisions, waiting out the 503 of a store still opening. */
export async function adminCustomerDecisions(
  decision: ServiceProcess,
  method: string,
  id: string,
  adminKey: string,
): Promise<CaseRuleAnswer> {
  const url = `${decision.base}/admin/customers/${encodeURIComponent(id)}/decisions`;
  for (let i = 0; ; i++) {
    const res = await fetch(url, { method, headers: { "x-api-key": adminKey } });
    const body = (await res.json()) as CaseRuleAnswer;
    if (res.status !== 503 || i > 300) return { ...body, status: res.status };
    await Bun.sleep(200);
  }
}

/** Each spelling of a customer's id, looked up: no decision left, under the any-case rule. */
export async function expectErasedInEveryCase(
  decision: ServiceProcess,
  spellings: readonly string[],
  adminKey: string,
): Promise<void> {
  for (const id of spellings) {
    const after = await adminCustomerDecisions(decision, "GET", id, adminKey);
    expect({ id, found: after.decisions?.length, rule: after.id_case }).toEqual({
      id,
      found: 0,
      rule: "any_case",
    });
  }
}
