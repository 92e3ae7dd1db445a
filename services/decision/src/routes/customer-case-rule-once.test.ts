// A lookup or an erasure of one customer decides the case rule once (IdCaseRule) and the decision
// log is read with that rule. It was read twice: IdCaseRule asked the forecast service, and the
// repository read the store again. When the rule could not be recorded just then (the store away
// at the first folding answer, the write waiting out its retry delay), the forecast service said
// "any case" and the erasure of User@X.org still went case-sensitive: 1 of 3 decisions erased,
// answered as complete.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";
import { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import { IdCaseRule } from "../store/id-case-rule.ts";

const ADMIN = "case-once-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
const quiet = createLogger({ sink: () => {} });
let t: TestDatabase;

beforeEach(async () => {
  t = await openTestDatabase("pglite");
});
afterEach(async () => {
  await t?.cleanup();
});

/** The app over `t`, its case rule learning through a store that was away at the first folding
 * answer (its write now waits out the retry delay) and a forecast service saying "any case". */
async function appWithUnrecordedRule() {
  let storeUp = false;
  const idCaseRule = new IdCaseRule({
    database: async () => {
      if (!storeUp) throw new Error("database unreachable");
      return t.handle.db;
    },
    logger: quiet,
    ask: async () => true,
    retryAfterMs: 600_000,
  });
  const model = { name: "purchase", version: 1, ids_lower_cased: true };
  await idCaseRule
    .learningFrom({
      breaker: new CircuitBreaker({}),
      forecast: async () => ({ model, forecasts: [] }),
    })
    .forecast({ horizon: { value: 4, unit: "week" }, customers: [] });
  storeUp = true;
  const deps = buildDecisionDeps(parseConfig({ ADMIN_API_KEYS: ADMIN }), {
    runtime: "test",
    database: async () => t.handle.db,
    overrides: { logger: quiet, idCaseRule },
  });
  return { app: createApp(deps), close: () => deps.audit.close(5000) };
}

const admin = (app: ReturnType<typeof createApp>, method: string, id: string) =>
  app.request(`/admin/customers/${encodeURIComponent(id)}/decisions`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
  });

test("the rule decided for a lookup and an erasure is the one they read the log with", async () => {
  await appendDecisions(
    t.handle.db,
    SPELLINGS.map((id) => decisionRow(id)),
  );
  const { app, close } = await appWithUnrecordedRule();
  try {
    const listed = (await (await admin(app, "GET", "user@x.org")).json()) as {
      decisions: unknown[];
    };
    expect(listed.decisions).toHaveLength(3);
    const res = await admin(app, "DELETE", "User@X.org");
    expect(res.status).toBe(200);
    expect(((await res.json()) as { erased: { decisions: number } }).erased.decisions).toBe(3);
  } finally {
    await close();
  }
});
