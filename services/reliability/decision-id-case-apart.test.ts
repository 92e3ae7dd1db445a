// The decision service's customer lookups and erasures follow the registry's case rule when its
// store is kept apart from the registry (DECISION_DATA_DIR elsewhere than DATA_DIR; on PostgreSQL
// another database). Before, the apart store held no model versions, so `idsAnyCase` found no
// folded one: of decisions sent as User@X.org, USER@x.org and user@x.org for a model trained with
// --ignore-id-case, GET found 1 of 3 and DELETE erased 1 of 3, leaving two decisions of a customer
// who asked to be forgotten. Now the forecast service's answers say whether its ids are read
// lower-cased and the decision service records it in its own store: the rule holds after both
// services are killed and the decision service restarts with the forecast service still down.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  caseServiceStarter,
  registerCaseDemo,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";

const API_KEY = "casefold-key-0123456789";
const ADMIN_KEY = "casefold-admin-key-0123456789";
const cleanups: Array<() => Promise<void> | void> = [];
const start = caseServiceStarter(cleanups);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function killHard(p: ServiceProcess): Promise<void> {
  p.child.kill("SIGKILL");
  while (!p.exited()) await Bun.sleep(50);
}

/** One decision about `id`, given by summary (the model need not know it); retried while the
 * decision store opens. */
async function decide(decision: ServiceProcess, id: string): Promise<void> {
  const body = JSON.stringify({
    customer: { id, summary: { frequency: 2, recency: 10, T: 30 } },
    horizon: { value: 4, unit: "week" },
    actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
  });
  for (let i = 0; ; i++) {
    const res = await fetch(`${decision.base}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    if (res.ok) return;
    if (i > 300) throw new Error(`decision answered ${res.status}: ${text}`);
    await Bun.sleep(200);
  }
}

const customerPath = (decision: ServiceProcess, id: string) =>
  `${decision.base}/admin/customers/${encodeURIComponent(id)}/decisions`;

async function found(decision: ServiceProcess, id: string): Promise<number> {
  const res = await fetch(customerPath(decision, id), { headers: { "x-api-key": ADMIN_KEY } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { decisions: unknown[] }).decisions.length;
}

async function erased(decision: ServiceProcess, id: string): Promise<number> {
  const res = await fetch(customerPath(decision, id), {
    method: "DELETE",
    headers: { "x-api-key": ADMIN_KEY },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { erased: { decisions: number } }).erased.decisions;
}

interface Stores {
  /** The registry's store: the forecast service's environment. */
  registry: Record<string, string>;
  /** The decision store, apart from it: the decision service's environment. */
  decisions: Record<string, string>;
}

/** Registry on the embedded store in DATA_DIR, decisions in another directory. */
async function embeddedStoresApart(foldCase: boolean): Promise<Stores> {
  const dataDir = tempDir("pp-case-registry-");
  const handle = await createDatabase({ dataDir });
  await handle.migrate();
  await registerCaseDemo(handle.db, join(dataDir, "artifacts"), foldCase);
  // Closed before the forecast service opens it.
  await handle.close();
  const decisionDir = tempDir("pp-case-decisions-");
  const common = { DATA_DIR: dataDir, DATABASE_URL: "" };
  return {
    registry: common,
    decisions: { ...common, DECISION_DATA_DIR: decisionDir },
  };
}

/** Registry in one PostgreSQL database, decisions in another. */
async function postgresStoresApart(foldCase: boolean): Promise<Stores> {
  const registry: TestDatabase = await openTestDatabase("postgres");
  const decisions: TestDatabase = await openTestDatabase("postgres");
  cleanups.push(() => registry.cleanup());
  cleanups.push(() => decisions.cleanup());
  const artifactDir = tempDir("pp-case-artifacts-");
  await registerCaseDemo(registry.handle.db, artifactDir, foldCase);
  return {
    registry: {
      DATABASE_URL: registry.options.databaseUrl as string,
      ARTIFACT_STORE_URI: artifactDir,
    },
    decisions: { DATABASE_URL: decisions.options.databaseUrl as string },
  };
}

async function startServices(stores: Stores) {
  const forecast = await start("forecast", {
    ...stores.registry,
    MODEL_SOURCE: "registry",
    MODEL_POLL_INTERVAL_MS: "0",
  });
  await waitOk(`${forecast.base}/ready`, "forecast");
  const decisionEnv = {
    ...stores.decisions,
    FORECAST_URL: forecast.base,
    API_KEYS: API_KEY,
    ADMIN_API_KEYS: ADMIN_KEY,
  };
  const decision = await start("decision", decisionEnv);
  await waitOk(`${decision.base}/health`, "decision");
  return { forecast, decision, decisionEnv };
}

const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];

async function foldedCase(stores: Stores): Promise<void> {
  const { forecast, decision, decisionEnv } = await startServices(stores);
  for (const id of SPELLINGS) await decide(decision, id);
  expect(await found(decision, "User@X.org")).toBe(3);
  // Both killed; the decision service comes back with the forecast service still away: the
  // rule is in its own store.
  await killHard(decision);
  await killHard(forecast);
  const again = await start("decision", decisionEnv);
  await waitOk(`${again.base}/health`, "decision (restarted)");
  expect(await found(again, "user@x.org")).toBe(3);
  expect(await erased(again, "User@X.org")).toBe(3);
  for (const id of SPELLINGS) expect(await found(again, id)).toBe(0);
}

/** Decisions logged before this version of the service ran (no /decision since): the erasure
 * asks the forecast service's /model-info. */
async function loggedBefore(stores: Stores, decisionDir: string): Promise<void> {
  const store = await createDatabase({ dataDir: decisionDir });
  await store.migrate();
  const past = new Date(Date.now() - 60_000);
  await appendDecisions(
    store.db,
    SPELLINGS.map((id) => decisionRow(id, past)),
  );
  await store.close();
  const { decision } = await startServices(stores);
  expect(await erased(decision, "User@X.org")).toBe(3);
  for (const id of SPELLINGS) expect(await found(decision, id)).toBe(0);
}

async function caseSensitive(stores: Stores): Promise<void> {
  const { decision } = await startServices(stores);
  await decide(decision, "Bob@x.org");
  await decide(decision, "bob@x.org");
  expect(await found(decision, "Bob@x.org")).toBe(1);
  expect(await erased(decision, "Bob@x.org")).toBe(1);
  expect(await found(decision, "bob@x.org")).toBe(1);
}

test("embedded stores apart: a model folding case makes lookups and erasures take every case", async () => {
  await foldedCase(await embeddedStoresApart(true));
}, 240_000);

test("embedded stores apart: decisions logged before any forecast answer are erased in every case", async () => {
  const stores = await embeddedStoresApart(true);
  await loggedBefore(stores, stores.decisions.DECISION_DATA_DIR as string);
}, 240_000);

test("embedded stores apart: a case-sensitive model keeps Bob@x.org and bob@x.org two customers", async () => {
  await caseSensitive(await embeddedStoresApart(false));
}, 240_000);

test("PostgreSQL databases apart: a model folding case makes erasures take every case", async () => {
  await foldedCase(await postgresStoresApart(true));
}, 240_000);

test("PostgreSQL databases apart: a case-sensitive model keeps two customers", async () => {
  await caseSensitive(await postgresStoresApart(false));
}, 240_000);
