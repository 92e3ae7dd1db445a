// An erasure or a lookup in a decision store kept apart from the registry, with nothing recorded
// about the case rule and the forecast service down (not started, or killed), cannot know whether
// User@X.org and user@x.org are one customer. It used to go on case-sensitive and answer like a
// complete erasure: 1 of 3 decisions erased, nothing said. Now both answer `id_case: "unknown"`
// with a warning (what was taken: the id as given, in its NFC and NFD spellings; what to do:
// retry once the forecast service answers) and log a warning line that does not name the
// customer; once the forecast service is back, the retry takes every case ("any_case").
// Real processes, embedded store and PostgreSQL.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  adminCustomerDecisions,
  caseServiceStarter,
  expectErasedInEveryCase,
  registerCaseDemo,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";

const ADMIN_KEY = "case-unknown-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
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

const admin = (decision: ServiceProcess, method: string, id: string) =>
  adminCustomerDecisions(decision, method, id, ADMIN_KEY);

interface Stores {
  registry: Record<string, string>;
  decisions: Record<string, string>;
  /** Writes the 3 decisions, logged before this decision service ran. */
  logBefore(): Promise<void>;
}

async function embeddedStores(): Promise<Stores> {
  const dataDir = tempDir("pp-case-unknown-registry-");
  const handle = await createDatabase({ dataDir });
  await handle.migrate();
  await registerCaseDemo(handle.db, join(dataDir, "artifacts"), true);
  await handle.close();
  const decisionDir = tempDir("pp-case-unknown-decisions-");
  const common = { DATA_DIR: dataDir, DATABASE_URL: "" };
  return {
    registry: common,
    decisions: { ...common, DECISION_DATA_DIR: decisionDir },
    async logBefore() {
      const store = await createDatabase({ dataDir: decisionDir });
      await store.migrate();
      await appendDecisions(
        store.db,
        SPELLINGS.map((id) => decisionRow(id, new Date(Date.now() - 60_000))),
      );
      await store.close();
    },
  };
}

async function postgresStores(): Promise<Stores> {
  const registry = await openTestDatabase("postgres");
  const decisions = await openTestDatabase("postgres");
  cleanups.push(() => registry.cleanup());
  cleanups.push(() => decisions.cleanup());
  const artifactDir = tempDir("pp-case-unknown-artifacts-");
  await registerCaseDemo(registry.handle.db, artifactDir, true);
  return {
    registry: {
      DATABASE_URL: registry.options.databaseUrl as string,
      ARTIFACT_STORE_URI: artifactDir,
    },
    decisions: { DATABASE_URL: decisions.options.databaseUrl as string },
    logBefore: () =>
      appendDecisions(
        decisions.handle.db,
        SPELLINGS.map((id) => decisionRow(id, new Date(Date.now() - 60_000))),
      ).then(() => {}),
  };
}

/** The forecast service (a model folding case) on `port`. */
async function startForecast(stores: Stores, port: number): Promise<ServiceProcess> {
  const env = { ...stores.registry, MODEL_SOURCE: "registry", MODEL_POLL_INTERVAL_MS: "0" };
  const forecast = await start("forecast", env, port);
  await waitOk(`${forecast.base}/ready`, "forecast");
  return forecast;
}

/**
 * `forecastGone`: the forecast service is killed after the decision service started (else it is
 * never started before the first lookup). Either way the lookup and the erasure say the rule is
 * unknown, then take every case once the forecast service answers.
 */
async function unknownRule(stores: Stores, forecastGone: boolean): Promise<void> {
  await stores.logBefore();
  // Chosen once: the forecast service comes back where the decision service asks it.
  const forecastPort = await freePort();
  const early = forecastGone ? await startForecast(stores, forecastPort) : null;
  const decision = await start("decision", {
    ...stores.decisions,
    LOG_LEVEL: "warn",
    FORECAST_URL: `http://127.0.0.1:${forecastPort}`,
    ADMIN_API_KEYS: ADMIN_KEY,
  });
  await waitOk(`${decision.base}/health`, "decision");
  if (early) {
    early.child.kill("SIGKILL");
    while (!early.exited()) await Bun.sleep(50);
  }

  const looked = await admin(decision, "GET", "User@X.org");
  expect(looked.status).toBe(200);
  expect(looked.id_case).toBe("unknown");
  expect(looked.decisions).toHaveLength(1);
  expect(looked.warning).toContain("forecast service");
  const erasure = await admin(decision, "DELETE", "User@X.org");
  expect(erasure.status).toBe(200);
  expect(erasure.id_case).toBe("unknown");
  expect(erasure.erased?.decisions).toBe(1);
  expect(erasure.warning).toContain("retry");
  const warned = decision.output.filter((line) => line.includes("case rule unknown"));
  expect(warned.length).toBeGreaterThanOrEqual(2);
  expect(warned.join("\n").toLowerCase()).not.toContain("user@x.org");

  // The forecast service back: the retry takes every case, and says so.
  await startForecast(stores, forecastPort);
  const retried = await admin(decision, "DELETE", "User@X.org");
  expect(retried.status).toBe(200);
  expect(retried.id_case).toBe("any_case");
  expect(retried.erased?.decisions).toBe(2);
  expect(retried.warning).toBeUndefined();
  await expectErasedInEveryCase(decision, SPELLINGS, ADMIN_KEY);
}

test("embedded store apart, forecast service never started: unknown, then every case", async () => {
  await unknownRule(await embeddedStores(), false);
}, 240_000);

test("embedded store apart, forecast service killed: unknown, then every case", async () => {
  await unknownRule(await embeddedStores(), true);
}, 240_000);

test("PostgreSQL store apart, forecast service never started: unknown, then every case", async () => {
  await unknownRule(await postgresStores(), false);
}, 240_000);

test("PostgreSQL store apart, forecast service killed: unknown, then every case", async () => {
  await unknownRule(await postgresStores(), true);
}, 240_000);
