// The case rule and a customer's erasure while PostgreSQL ends the decision service's connections
// (pg_terminate_backend on the decision store's own database, again and again), with decisions
// being written: real processes, a forecast service on a model trained with --ignore-id-case, the
// decision service restarted first so that the rule is read from its store (not kept in memory).
// No decision answered 200 is missing from the log; every erasure answers 200 (all 3 casings of
// the customer, `id_case: "any_case"`, at once: never part of them reported as done) or a 503 JSON
// error; once the connections stay, a retry answers 200 and no row of any casing is left.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { DEFAULT_TEST_POSTGRES_URL, openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";
import {
  caseServiceStarter,
  registerCaseDemo,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";

const API_KEY = "case-db-stop-key-0123456789";
const ADMIN_KEY = "case-db-stop-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
const cleanups: Array<() => Promise<void> | void> = [];
const start = caseServiceStarter(cleanups);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function foldingRegistry(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), "pp-case-db-stop-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const handle = await createDatabase({ dataDir });
  await handle.migrate();
  await registerCaseDemo(handle.db, join(dataDir, "artifacts"), true);
  await handle.close();
  return dataDir;
}

/** One decision about `id`: its status and, answered 200, its decision id. */
async function decide(decision: ServiceProcess, id: string) {
  const res = await fetch(`${decision.base}/decision`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id, summary: { frequency: 2, recency: 10, T: 30 } },
      horizon: { value: 4, unit: "week" },
      actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
    }),
  });
  const body = (await res.json()) as { decision_id?: string };
  return { status: res.status, id: body.decision_id ?? null };
}

interface Erasure {
  status: number;
  code: string | null;
  erased: number | null;
  idCase: string | null;
}

async function erase(decision: ServiceProcess): Promise<Erasure> {
  const url = `${decision.base}/admin/customers/${encodeURIComponent("User@X.org")}/decisions`;
  const res = await fetch(url, { method: "DELETE", headers: { "x-api-key": ADMIN_KEY } });
  const body = (await res.json()) as {
    erased?: { decisions: number };
    id_case?: string;
    error?: { code: string };
  };
  return {
    status: res.status,
    code: body.error?.code ?? null,
    erased: body.erased?.decisions ?? null,
    idCase: body.id_case ?? null,
  };
}

test("PostgreSQL connections terminated under decisions and an erasure: none lost, none partial", async () => {
  const store = await openTestDatabase("postgres");
  cleanups.push(() => store.cleanup());
  const storeUrl = store.options.databaseUrl as string;
  const storeName = new URL(storeUrl).pathname.slice(1);
  const dataDir = await foldingRegistry();
  const forecast = await start("forecast", {
    DATA_DIR: dataDir,
    DATABASE_URL: "",
    MODEL_SOURCE: "registry",
    MODEL_POLL_INTERVAL_MS: "0",
  });
  await waitOk(`${forecast.base}/ready`, "forecast");
  const env = {
    DATABASE_URL: storeUrl,
    FORECAST_URL: forecast.base,
    API_KEYS: API_KEY,
    ADMIN_API_KEYS: ADMIN_KEY,
  };
  const first = await start("decision", env);
  await waitOk(`${first.base}/ready`, "decision");
  for (const id of SPELLINGS) expect((await decide(first, id)).status).toBe(200);
  // Restarted: the rule is read from the store by the erasures below, not known in memory.
  first.child.kill("SIGKILL");
  while (!first.exited()) await Bun.sleep(50);
  const decision = await start("decision", env);
  await waitOk(`${decision.base}/ready`, "decision (restarted)");

  const admin = postgres(process.env.DATABASE_URL_TEST || DEFAULT_TEST_POSTGRES_URL, { max: 1 });
  cleanups.push(() => admin.end());
  let churning = true;
  const answered: string[] = [];
  const decisionStatuses = new Map<number, number>();
  const writer = async (w: number) => {
    for (let i = 0; churning; i++) {
      const { status, id } = await decide(decision, `other-${w}-${i}`).catch(() => ({
        status: 0,
        id: null,
      }));
      decisionStatuses.set(status, (decisionStatuses.get(status) ?? 0) + 1);
      if (status === 200 && id) answered.push(id);
    }
  };
  const erasures: Erasure[] = [];
  const eraser = async () => {
    while (churning) {
      erasures.push(await erase(decision));
      await Bun.sleep(30);
    }
  };
  let terminated = 0;
  const terminator = async () => {
    for (const until = Date.now() + 4000; Date.now() < until; ) {
      // This test's own database only.
      const [row] = await admin<{ n: number }[]>`select count(pg_terminate_backend(pid))::int as n
        from pg_stat_activity where datname = ${storeName} and pid <> pg_backend_pid()`;
      terminated += row?.n ?? 0;
      await Bun.sleep(20 + Math.random() * 60);
    }
    churning = false;
  };
  await Promise.all([writer(1), writer(2), eraser(), terminator()]);
  expect(terminated).toBeGreaterThan(0);

  // Once the connections stay: a retry answers 200 (retried while the pool reconnects).
  let retry = await erase(decision);
  for (let i = 0; retry.status !== 200 && i < 100; i++) {
    await Bun.sleep(200);
    retry = await erase(decision);
  }
  erasures.push(retry);
  const outcome = erasures.map((e) => `${e.status} ${e.code ?? e.idCase} ${e.erased ?? ""}`.trim());
  // Every erasure: 200 with the rule, or a 503 JSON error; nothing else.
  const odd = erasures.filter(
    (e) =>
      !(e.status === 200 && e.idCase === "any_case") &&
      !(e.status === 503 && e.code === "unavailable"),
  );
  expect({ odd, outcome: outcome.slice(0, 5) }).toEqual({ odd: [], outcome: outcome.slice(0, 5) });
  // One transaction took all 3 casings at once; the 200s after it found none. That one may
  // have answered a 503: its COMMIT landed and the reply was lost with the connection (seen in
  // CI: the first 200 found 0). Never a 200 that took 1 or 2.
  const done = erasures.filter((e) => e.status === 200).map((e) => e.erased);
  const took = done.filter((n) => n !== 0);
  expect({ took, zeros: done.length - took.length }).toEqual({
    took: took.length === 0 ? [] : [3],
    zeros: done.length - took.length,
  });

  // Rows counted in the store itself.
  const rows = postgres(storeUrl, { max: 1 });
  try {
    const [left] = await rows<{ n: number }[]>`select count(*)::int as n from decision_log
      where lower(customer_id) = 'user@x.org'`;
    expect(left?.n).toBe(0);
    const [kept] = await rows<{ n: number }[]>`select count(*)::int as n from decision_log
      where decision_id in ${rows(answered)}`;
    expect({ answered: answered.length, kept: kept?.n }).toEqual({
      answered: answered.length,
      kept: answered.length,
    });
  } finally {
    await rows.end();
  }
  console.log(
    `terminated ${terminated} backends; decisions ${JSON.stringify(Object.fromEntries(decisionStatuses))}; ` +
      `erasures ${erasures.length}: ${outcome.join(", ")}`,
  );
  expect(answered.length).toBeGreaterThan(0);
}, 240_000);
