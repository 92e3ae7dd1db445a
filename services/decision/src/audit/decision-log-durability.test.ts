// The decision log loses nothing across a database outage: a throwaway PostgreSQL cluster is
// stopped while decisions keep coming (each is refused with 503: nothing is answered without its
// committed row) and started again; the writer is back within 2 s, and every decision answered
// 200 is in decision_log, exactly once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { closeWithin } from "../store/close-within.ts";
import { lazyDatabase } from "../store/lazy-database.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const bin = postgresBinDirOrWarn("the decision-log outage test");

describe.skipIf(!bin)("decision log across a PostgreSQL outage", () => {
  let pg: ThrowawayPostgres;
  const start = () => pg.start();
  const stop = () => pg.stop();
  let handle: DatabaseHandle | undefined;
  let deps: DecisionDeps;

  beforeAll(() => {
    pg = ThrowawayPostgres.create(bin as string);
  }, 60_000);

  afterAll(async () => {
    await deps?.audit.close(1000);
    if (handle) await closeWithin(handle, 2000);
    pg?.destroy();
  }, 30_000);

  test("answered decisions == rows written, after stop and start", async () => {
    const quiet = createLogger({ sink: () => {} });
    const stub = forecastContractStub({
      known: { "c-1": { expected_purchases: 2, p_alive: 0.9 } },
    });
    const database = lazyDatabase(async () => {
      handle = await openDecisionDatabase({ DATABASE_URL: pg.url, DECISION_DATA_DIR: "" });
      return handle.db;
    });
    deps = buildDecisionDeps(parseConfig({ API_KEYS: "k", POLICY_CACHE_MS: "3600000" }), {
      runtime: "test",
      database,
      forecastTransport: inProcessTransport(stub.app),
      overrides: { logger: quiet },
    });
    const app = createApp(deps);
    const decide = () =>
      app.request("/decision", {
        method: "POST",
        headers: { Authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({
          customer: { id: "c-1" },
          horizon: { value: 13, unit: "week" },
          actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
        }),
      });
    const answered: string[] = [];

    for (let i = 0; i < 10; i++) {
      const res = await decide();
      expect(res.status).toBe(200);
      answered.push(((await res.json()) as { decision_id: string }).decision_id);
    }
    // Durable before answered: the rows are there without waiting for anything.
    expect(deps.audit.pending).toBe(0);
    expect(await (await database()).$count(decisionLog)).toBe(10);

    stop(); // the database goes away
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const res = await decide();
      if (res.status === 200)
        answered.push(((await res.json()) as { decision_id: string }).decision_id);
      else {
        expect(res.status).toBe(503);
        refused++;
      }
    }
    expect(refused).toBe(40); // no 200 while nothing can be committed
    expect(deps.audit.problem).toBeDefined();
    const ready = await app.request("/ready");
    expect(ready.status).toBe(503);
    expect(await ready.text()).not.toMatch(/insert|jsonb|c-1/i); // no query, no parameters

    start(); // and comes back
    const back = performance.now();
    let recoveredMs = Number.POSITIVE_INFINITY;
    while (performance.now() - back < 10_000) {
      const res = await decide();
      if (res.status === 200) {
        recoveredMs = performance.now() - back;
        answered.push(((await res.json()) as { decision_id: string }).decision_id);
        break;
      }
      await Bun.sleep(20);
    }
    console.log(`decisions recorded again ${recoveredMs.toFixed(0)} ms after PostgreSQL was back`);
    expect(recoveredMs).toBeLessThan(2000);
    for (let i = 0; i < 10; i++) {
      const res = await decide();
      expect(res.status).toBe(200);
      answered.push(((await res.json()) as { decision_id: string }).decision_id);
    }
    const rows = await (await database()).select({ id: decisionLog.decisionId }).from(decisionLog);
    // Every 200 is there; beyond them at most the first refused request, whose commit may
    // have landed as the server went down (a 503 may be recorded, a 200 is never missing).
    const written = new Set(rows.map((r) => r.id));
    expect(answered.filter((id) => !written.has(id))).toEqual([]);
    expect(rows.length - answered.length).toBeLessThanOrEqual(1);
  }, 60_000);
});
