// /ready's `policy` check. Before it, /ready answered 200 "ready" while every decision was a 503
// "No decision policy available: active policy … has an invalid definition" (an operator probe,
// after an upgrade): a load balancer saw nothing wrong.
import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";
import { PolicyCatalog } from "./policy-catalog.ts";

const KEY = "policy-readiness-key-0123456789";
const BROKEN = { rules: [{ rule: "max_cost", value: -1 }] }; // refused by every release

interface Check {
  name: string;
  status: string;
  reason?: string;
}

describe.each(testDrivers())("the policy readiness check, on %s", (driver) => {
  let t: TestDatabase;
  let deps: DecisionDeps;
  afterEach(async () => {
    await deps.audit.close(5000);
    await t.cleanup();
  });

  /** Reads of the database by the policy catalog (the probes' reads, with a clock of its own). */
  let policyReads = 0;
  let clock = 0;

  async function start(cacheMs = "5000", options: { clocked?: boolean } = {}) {
    t = await openTestDatabase(driver);
    policyReads = 0;
    const stub = forecastContractStub({ known: { "42": { expected_purchases: 2, p_alive: 0.9 } } });
    const policies = options.clocked
      ? new PolicyCatalog(
          async () => {
            policyReads++;
            return t.handle.db;
          },
          { cacheMs: Number(cacheMs), now: () => clock },
        )
      : undefined;
    deps = buildDecisionDeps(
      parseConfig({ API_KEYS: KEY, FORECAST_URL: "http://127.0.0.1:9", POLICY_CACHE_MS: cacheMs }),
      {
        runtime: "test",
        database: async () => t.handle.db,
        forecastTransport: inProcessTransport(stub.app),
        overrides: { logger: createLogger({ sink: () => {} }), ...(policies ? { policies } : {}) },
      },
    );
    const app = createApp(deps);
    const ready = async () => {
      const res = await app.request("/ready");
      const body = (await res.json()) as {
        checks?: Check[];
        error?: { details: { checks: Check[] } };
      };
      const checks = body.checks ?? body.error?.details.checks ?? [];
      return { status: res.status, policy: checks.find((c) => c.name === "policy") };
    };
    const decide = () =>
      app.request("/decision", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          customer: { id: "42" },
          horizon: { value: 13, unit: "week" },
          actions: [{ id: "email", cost: 0.5, uplift: 0.15, margin: 8 }],
        }),
      });
    return { ready, decide };
  }

  const insert = (name: string, definition: unknown, active: boolean) =>
    t.handle.db.execute(sql`
      insert into policies (name, version, definition, active, activated_at)
      values (${name}, 1, ${JSON.stringify(definition)}::jsonb, ${active}, now())`);

  test("an active policy no release can run: not ready, naming it; decisions 503", async () => {
    const { ready, decide } = await start();
    await insert("broken", BROKEN, true);
    expect(await ready()).toEqual({
      status: 503,
      policy: expect.objectContaining({
        status: "failing",
        reason: "no decision policy available: active policy broken v1 has an invalid definition",
      }),
    });
    expect((await decide()).status).toBe(503);
    // Another version activated (by another process): ready again within a second (a probe's
    // read is reused that long while no copy is held), and deciding.
    await t.handle.db.execute(sql`update policies set active = false`);
    await insert("good", { rules: [{ rule: "max_cost", value: 5 }] }, true);
    const until = Date.now() + 3000;
    while ((await ready()).policy?.status !== "ok" && Date.now() < until) await Bun.sleep(100);
    expect((await ready()).policy?.status).toBe("ok");
    expect((await decide()).status).toBe(200);
  }, 60_000);

  test("a fresh store is ready, and the probe stores nothing; the first decision seeds", async () => {
    const { ready, decide } = await start();
    expect(await ready()).toEqual({
      status: 200,
      policy: expect.objectContaining({ status: "ok" }),
    });
    const count = async () =>
      (await t.handle.db.execute(sql`select count(*)::int as n from policies`)) as unknown as
        | { rows: { n: number }[] }
        | { n: number }[];
    const rows = async () => {
      const r = await count();
      return Array.isArray(r) ? r[0]?.n : r.rows[0]?.n;
    };
    expect(await rows()).toBe(0);
    expect((await decide()).status).toBe(200);
    expect(await rows()).toBeGreaterThan(0);
    expect((await ready()).policy?.status).toBe("ok");
  }, 60_000);

  test("a good copy serving after a failed re-read: ready, degraded, saying why", async () => {
    const { ready, decide } = await start("1");
    await insert("good", { rules: [{ rule: "max_cost", value: 5 }] }, true);
    expect((await decide()).status).toBe(200);
    await t.handle.db.execute(sql`update policies set active = false`);
    await insert("broken", BROKEN, true);
    await Bun.sleep(5);
    expect((await decide()).status).toBe(200); // from the copy
    expect(await ready()).toEqual({
      status: 200,
      policy: expect.objectContaining({
        status: "degraded",
        reason:
          "serving good v1, the last good copy: active policy broken v1 has an invalid definition",
      }),
    });
  }, 60_000);

  test("probes read the database at most once a second while no copy is held", async () => {
    // Before, every /ready without a copy (a fresh store, an unusable active policy, a service
    // that had decided nothing yet) read the active row: 50 probes a second, 50 reads a second.
    clock = 1_000_000;
    const { ready } = await start("5000", { clocked: true });
    await Promise.all(Array.from({ length: 25 }, () => ready())); // a fresh store: ok, one read
    for (let i = 0; i < 25; i++) expect((await ready()).status).toBe(200);
    expect(policyReads).toBe(1);
    clock += 1000;
    await insert("broken", BROKEN, true);
    for (let i = 0; i < 50; i++) {
      expect((await ready()).policy?.status).toBe("failing");
      clock += 10; // 50 probes in half a second
    }
    expect(policyReads).toBe(2);
    // A good version activated here: ready at once, not a second later.
    await t.handle.db.execute(sql`update policies set active = false`);
    await t.handle.db.execute(sql`
      insert into policies (name, version, definition) values ('good', 1, '{"rules":[]}'::jsonb)`);
    await deps.policies.activate("good", 1);
    expect((await ready()).policy?.status).toBe("ok");
  }, 60_000);

  test("a good active policy a probe reads is the copy: later probes and a decision read nothing", async () => {
    clock = 1_000_000;
    const { ready, decide } = await start("5000", { clocked: true });
    await insert("good", { rules: [{ rule: "max_cost", value: 5 }] }, true);
    expect((await ready()).policy?.status).toBe("ok");
    for (let i = 0; i < 20; i++) {
      expect((await ready()).policy?.status).toBe("ok");
      clock += 100;
    }
    expect((await decide()).status).toBe(200);
    expect(policyReads).toBe(1);
  }, 60_000);
});
