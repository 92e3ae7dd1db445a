// Decisions about a customer sent right after its decisions were erased, with real processes (the
// decision service's Bun entry on the embedded store and on PostgreSQL). The log skips their rows
// on purpose (a decision made while the erasure committed must not be written after it), but the
// requests were answered 200 with a decision_id the log never held (a client walk: 3 of 3). Now
// they are refused with a 409 naming customer_id, a batch answers such customers as failed items,
// every 200's decision_id is in decision_log, and the customer decided again later is logged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { forecastContractStub } from "../decision/src/testing/forecast-contract-stub.ts";
import {
  missingDecisionIds,
  postDecision,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";

const ADMIN = "erased-answers-admin-key-0123456789";
const ERASED = "c-1";
const OTHER = "c-2";
const horizon = { value: 13, unit: "week" };
const actions = [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }];
const single = (id: string) => JSON.stringify({ customer: { id }, horizon, actions });
const batch = (ids: string[], more: Record<string, unknown> = {}) =>
  JSON.stringify({ customers: ids.map((id) => ({ id })), horizon, actions, budget: 100, ...more });

let forecast: { url: string; stop(): void };
beforeAll(() => {
  const stub = forecastContractStub({
    known: {
      [ERASED]: { expected_purchases: 2, p_alive: 0.9 },
      [OTHER]: { expected_purchases: 3, p_alive: 0.8 },
    },
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: stub.app.fetch });
  forecast = { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
});
afterAll(() => forecast?.stop());

interface Answered {
  status: number;
  customer: string;
  body: {
    decision_id?: string;
    selected?: Array<{ id: string; decision_id: string }>;
    errors?: Array<{ id: string; error: { code: string; message: string } }>;
    error?: { code: string; details?: Array<{ path: string }> };
    campaign?: { groups: { treated: number; control: number }; control: unknown[] };
  };
  retryAfter: string | null;
}

async function send(base: string, path: string, json: string, customer: string, key?: string) {
  const res = await postDecision(`${base}${path}`, json, key ? { key } : {});
  const body = (await res.json()) as Answered["body"];
  return { status: res.status, customer, body, retryAfter: res.headers.get("retry-after") };
}

/** Every decision id a 200 answered (single and batch). */
const answeredIds = (answers: Answered[]) =>
  answers
    .filter((a) => a.status === 200)
    .flatMap((a) => [
      ...(a.body.decision_id ? [a.body.decision_id] : []),
      ...(a.body.selected ?? []).map((s) => s.decision_id),
    ]);

async function walk(
  env: Record<string, string>,
  store: { dataDir: string } | { databaseUrl: string },
) {
  const service = await startDecision(forecast.url, { ...env, ADMIN_API_KEYS: ADMIN });
  try {
    const erase = await fetch(`${service.base}/admin/customers/${ERASED}/decisions`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(erase.status).toBe(200);
    const erasedAt = Date.now();
    // Within the erasure's second: three single decisions for the erased customer and three for
    // another, two batches of both (one under an Idempotency-Key), all at once.
    const soon = await Promise.all([
      ...[1, 2, 3].map(() => send(service.base, "/decision", single(ERASED), ERASED)),
      ...[1, 2, 3].map(() => send(service.base, "/decision", single(OTHER), OTHER)),
      send(service.base, "/decision/batch", batch([OTHER, ERASED]), "batch"),
      send(service.base, "/decision/batch", batch([OTHER, ERASED]), "batch", "erased-walk-key"),
      // Keyed, the erased customer first: its row would keep the batch's answer.
      send(service.base, "/decision/batch", batch([ERASED, OTHER]), "holder", "erased-holder-key"),
      // In a campaign: the erased customer is in neither group (its row is in neither).
      send(
        service.base,
        "/decision/batch",
        batch([OTHER, ERASED], { campaign: "erased-walk", control_share: 0.5 }),
        "campaign",
      ),
    ]);
    const sentWithin = Date.now() - erasedAt;
    await Bun.sleep(Math.max(0, 1500 - (Date.now() - erasedAt)));
    const later = await send(service.base, "/decision", single(ERASED), ERASED);
    // The keyed batch sent again: its replay is what was answered.
    const replay = await send(
      service.base,
      "/decision/batch",
      batch([OTHER, ERASED]),
      "batch",
      "erased-walk-key",
    );
    expect(await stopGracefully(service)).toBe(0);
    const all = [...soon, later, replay];
    const missing = await missingDecisionIds(store, answeredIds(all));
    console.log(
      `sent within ${sentWithin} ms of the erasure: ${soon.map((a) => `${a.customer} ${a.status}`).join(", ")}; ` +
        `1.5 s later: ${later.status}; 200 decision ids missing from decision_log: ${missing.length}`,
    );
    expect(missing).toEqual([]);
    for (const refused of soon.filter((a) => a.customer === ERASED)) {
      expect(refused.status).toBe(409);
      expect(refused.body.error?.code).toBe("conflict");
      expect(refused.body.error?.details?.[0]?.path).toBe("customer_id");
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    expect(soon.filter((a) => a.customer === OTHER).map((a) => a.status)).toEqual([200, 200, 200]);
    for (const b of soon.filter((a) => a.customer === "batch")) {
      expect(b.status).toBe(200);
      expect(b.body.selected?.map((s) => s.id)).toEqual([OTHER]);
      expect(b.body.errors).toEqual([
        { id: ERASED, error: { code: "conflict", message: expect.stringContaining("erased") } },
      ]);
    }
    const campaign = soon[9] as Answered;
    expect(campaign.status).toBe(200);
    expect(campaign.body.errors?.map((e) => [e.id, e.error.code])).toEqual([[ERASED, "conflict"]]);
    const groups = campaign.body.campaign?.groups;
    expect((groups?.treated ?? 0) + (groups?.control ?? 0)).toBe(1);
    const holder = soon[8] as Answered;
    expect(holder.status).toBe(409);
    expect(holder.body.error?.details?.[0]?.path).toBe("customer_id");
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(soon[7]?.body as Answered["body"]);
    expect(later.status).toBe(200);
  } finally {
    service.child.kill("SIGKILL");
  }
}

describe("decisions about a customer erased moments ago", () => {
  test("embedded store: refused with 409, never a 200 the log lacks", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-erased-answers-"));
    try {
      await walk({ DECISION_DATA_DIR: dataDir }, { dataDir });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  describe("PostgreSQL", () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await openTestDatabase("postgres");
    });
    afterAll(async () => {
      await db?.cleanup();
    });
    test("refused with 409, never a 200 the log lacks", async () => {
      const url = db.options.databaseUrl as string;
      await walk({ DATABASE_URL: url }, { databaseUrl: url });
    }, 120_000);
  });
});
