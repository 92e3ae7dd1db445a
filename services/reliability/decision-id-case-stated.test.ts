// An operator states the case rule where nothing else can (`decisions id-case set any_case`): a
// running decision service with a store kept apart and no forecast service answered lookups and
// erasures `id_case: "unknown"`, with a warning, for good. After the CLI, without a restart, its
// next erasure of User@X.org takes all three letter cases and says any_case (it reads the store
// at each lookup until it holds any_case). Real processes, embedded store and PostgreSQL.
import { afterEach, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  adminCustomerDecisions,
  caseServiceStarter,
  expectErasedInEveryCase,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";

const cli = resolve(import.meta.dirname, "../decision/src/cli/decisions.ts");
const ADMIN_KEY = "case-stated-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
const cleanups: Array<() => Promise<void> | void> = [];
const start = caseServiceStarter(cleanups);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const admin = (decision: ServiceProcess, method: string, id: string) =>
  adminCustomerDecisions(decision, method, id, ADMIN_KEY);

/** `decisions id-case set RULE` against the store of `env`; its exit code. */
function stateRule(env: Record<string, string>, rule: string): Promise<number | null> {
  const child = spawn(process.execPath, [cli, "id-case", "set", rule], {
    env: { ...process.env, ...env },
    stdio: "ignore",
    timeout: 30_000,
  });
  return new Promise((done) => child.on("close", done));
}

/** A store apart holding the 3 spellings' decisions: the decision service's environment. */
async function embeddedStore(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "pp-case-stated-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const decisionDir = join(dir, "decisions");
  const store = await createDatabase({ dataDir: decisionDir });
  await store.migrate();
  await appendDecisions(
    store.db,
    SPELLINGS.map((id) => decisionRow(id, new Date())),
  );
  await store.close();
  return { DATABASE_URL: "", DATA_DIR: join(dir, "registry"), DECISION_DATA_DIR: decisionDir };
}

async function postgresStore(): Promise<Record<string, string>> {
  const decisions = await openTestDatabase("postgres");
  cleanups.push(() => decisions.cleanup());
  await appendDecisions(
    decisions.handle.db,
    SPELLINGS.map((id) => decisionRow(id, new Date())),
  );
  return { DATABASE_URL: decisions.options.databaseUrl as string };
}

async function statedWhileRunning(store: Record<string, string>): Promise<number> {
  const decision = await start("decision", {
    ...store,
    // Nothing listens there: the forecast service is gone for good.
    FORECAST_URL: `http://127.0.0.1:${await freePort()}`,
    ADMIN_API_KEYS: ADMIN_KEY,
  });
  await waitOk(`${decision.base}/health`, "decision");
  const before = await admin(decision, "GET", "User@X.org");
  expect([before.status, before.id_case, before.decisions?.length]).toEqual([200, "unknown", 1]);
  expect(before.warning).toContain("forecast service");
  // Hostile values are refused and change nothing.
  for (const bad of ["", "\ud800", "1e308"]) expect(await stateRule(store, bad)).toBe(2);
  expect((await admin(decision, "GET", "User@X.org")).id_case).toBe("unknown");

  expect(await stateRule(store, "any_case")).toBe(0);
  const stated = performance.now();
  const erasure = await admin(decision, "DELETE", "User@X.org");
  const tookMs = performance.now() - stated;
  expect(erasure.status).toBe(200);
  expect(erasure.id_case).toBe("any_case");
  expect(erasure.erased?.decisions).toBe(3);
  expect(erasure.warning).toBeUndefined();
  await expectErasedInEveryCase(decision, SPELLINGS, ADMIN_KEY);
  return tookMs;
}

test("embedded store apart, no forecast service: unknown; stated any_case; every case erased", async () => {
  const ms = await statedWhileRunning(await embeddedStore());
  console.error(
    `embedded: the first erasure after the CLI answered any_case in ${ms.toFixed(0)} ms`,
  );
}, 240_000);

test("PostgreSQL store apart, no forecast service: unknown; stated any_case; every case erased", async () => {
  const ms = await statedWhileRunning(await postgresStore());
  console.error(
    `postgres: the first erasure after the CLI answered any_case in ${ms.toFixed(0)} ms`,
  );
}, 240_000);
