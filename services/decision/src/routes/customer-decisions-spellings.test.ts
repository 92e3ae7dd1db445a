// GET /admin/customers/:id/decisions lists what DELETE erases: the decisions and parked rows of
// the id's NFC and NFD spellings ("José" decided on decomposed, as macOS writes it, and looked up
// composed). It listed the spelling sent only: a data-subject request answered "nothing stored"
// about a customer whose decisions the erasure then counted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { decisionLogDeadLetter } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const KEY = "spellings-api-key-0123456789";
const ADMIN = "spellings-admin-key-0123456789";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  deps = buildDecisionDeps(
    parseConfig({
      API_KEYS: KEY,
      ADMIN_API_KEYS: ADMIN,
      CAMPAIGN_SECRET: "spellings-campaign-secret-0123",
      DECISION_LOG_COMMIT_TIMEOUT_MS: "30000",
    }),
    {
      runtime: "test",
      database: async () => testDb.handle.db,
      forecastTransport: inProcessTransport(forecastContractStub().app),
      overrides: { logger: createLogger({ sink: () => {} }) },
    },
  );
  app = createApp(deps);
}, 30_000);

afterAll(async () => {
  await deps.audit.close(5000);
  await testDb.cleanup();
});

const NFC = "José Müller 7".normalize("NFC");
const NFD = NFC.normalize("NFD");
const summary = { frequency: 3, recency: 8, T: 10 };

async function decide(id: string): Promise<string> {
  const res = await app.request("/decision", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({
      customer: { id, summary },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 1, uplift: 0.2, margin: 10 }],
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { decision_id: string }).decision_id;
}

const admin = (method: string, id: string, query = "") =>
  app.request(`/admin/customers/${encodeURIComponent(id)}/decisions${query}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}` },
  });

interface Listed {
  customer_id: string;
  decisions: Array<{ decision_id: string }>;
  next_page: { before: string; before_id: string } | null;
  dead_letters: Array<{ decision_id: string }>;
}

describe("GET /admin/customers/:id/decisions of an id logged in NFC and NFD", () => {
  test("lists both spellings' decisions and parked rows, as DELETE erases them", async () => {
    const composed = [await decide(NFC), await decide(NFC)];
    const decomposed = [await decide(NFD), await decide(NFD)];
    await deps.audit.drain(5000);
    const parkedId = randomUUID();
    await testDb.handle.db.insert(decisionLogDeadLetter).values({
      decisionId: parkedId,
      reason: "22P02 (test)",
      // As decisionLogRecord writes it: customer_id right after decided_at.
      rowJson: JSON.stringify({
        decision_id: parkedId,
        decided_at: null,
        customer_id: NFD,
        chosen_action: "none",
      }),
    });
    const all = [...composed, ...decomposed].sort();

    for (const asked of [NFC, NFD]) {
      const res = await admin("GET", asked);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Listed;
      expect(body.customer_id).toBe(asked);
      expect(body.decisions.map((d) => d.decision_id).sort()).toEqual(all);
      expect(body.dead_letters.map((d) => d.decision_id)).toEqual([parkedId]);
    }

    // Pages walk both spellings: 4 decisions, 3 then 1.
    const first = (await (await admin("GET", NFC, "?limit=3")).json()) as Listed;
    expect(first.decisions).toHaveLength(3);
    const next = first.next_page as { before: string; before_id: string };
    const q = `?limit=3&before=${encodeURIComponent(next.before)}&before_id=${next.before_id}`;
    const second = (await (await admin("GET", NFC, q)).json()) as Listed;
    expect([...first.decisions, ...second.decisions].map((d) => d.decision_id).sort()).toEqual(all);

    // What was listed is what the erasure counts.
    const erased = (await (await admin("DELETE", NFC)).json()) as {
      erased: { decisions: number; dead_letters: number };
    };
    expect(erased.erased).toEqual({ decisions: 4, dead_letters: 1 });
    const after = (await (await admin("GET", NFD)).json()) as Listed;
    expect(after.decisions).toEqual([]);
    expect(after.dead_letters).toEqual([]);
  });
});
