// Policies stored by releases before the limits on new definitions (2026-12-05: at most 50
// actions a rule, ids of at most 128 characters) must keep deciding after an upgrade. They were
// read with the new-definition schema: every /decision and /decision/batch answered 503 "active
// policy many-actions v1 has an invalid definition", and activating one again was a 409. Rows
// are written into the store as the old code wrote them, then the service starts on the store.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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

const KEY = "upgraded-policies-key-0123456789";
const ADMIN = "upgraded-policies-admin-0123456789";
const LONG = `offer-${"x".repeat(194)}`; // 200 characters

/** As ea36ea8 (2026-11-30) stored them: its schema's output, defaults filled in. */
const stored = (fields: Record<string, unknown>) => ({
  profit_model: "expected-profit",
  forecast_model: "recommended",
  rules: [],
  default_action: "none",
  on_forecast_unavailable: "fail",
  ...fields,
});
const manyActions = stored({
  rules: [
    {
      rule: "max_cost",
      value: 5,
      actions: Array.from({ length: 60 }, (_, i) => `offer-${i}`),
    },
  ],
});
const longIds = stored({
  rules: [{ rule: "max_cost", value: 1, actions: [LONG, "call"] }],
  default_action: LONG,
  on_forecast_unavailable: "fallback",
  uplifts: { call: { uplift: 0.5 } },
});

/** A default action no request can carry as written (ids match exactly), accepted before. */
const upperDefault = stored({ default_action: "EMAIL-10PCT", on_forecast_unavailable: "fallback" });

const horizon = { value: 13, unit: "week" };

describe.each(testDrivers())("policies stored before the limits, on %s", (driver) => {
  let t: TestDatabase;
  let deps: DecisionDeps;
  let app: ReturnType<typeof createApp>;
  const stub = forecastContractStub({ known: { "42": { expected_purchases: 2, p_alive: 0.9 } } });

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    await t.handle.db.execute(sql`
      insert into policies (name, version, definition, active, activated_at) values
        ('many-actions', 1, ${JSON.stringify(manyActions)}::jsonb, true, now()),
        ('long-ids', 1, ${JSON.stringify(longIds)}::jsonb, false, null),
        ('fb', 1, ${JSON.stringify(upperDefault)}::jsonb, false, null)`);
    deps = buildDecisionDeps(
      parseConfig({ API_KEYS: KEY, ADMIN_API_KEYS: ADMIN, FORECAST_BREAKER_FAILURES: "1000" }),
      {
        runtime: "test",
        database: async () => t.handle.db,
        forecastTransport: inProcessTransport(stub.app),
        overrides: { logger: createLogger({ sink: () => {} }) },
      },
    );
    app = createApp(deps);
  }, 60_000);

  afterAll(async () => {
    await deps.audit.close(5000);
    await t.cleanup();
  });

  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${path.startsWith("/admin") ? ADMIN : KEY}`,
      },
      body: JSON.stringify(body),
    });

  test("a rule listing 60 actions decides, holding exactly the listed actions to it", async () => {
    const actions = [
      { id: "offer-1", cost: 0.5, uplift: 0.15, margin: 8 },
      { id: "offer-59", cost: 6, uplift: 2, margin: 8 }, // listed: over max_cost 5
      { id: "call", cost: 6, uplift: 1, margin: 8 }, // not listed: the rule does not apply
    ];
    const res = await post("/decision", { customer: { id: "42" }, horizon, actions });
    const body = (await res.json()) as {
      chosen: string;
      policy: { name: string };
      ranked: { id: string; eligible: boolean; reasons: string[] }[];
    };
    expect(res.status).toBe(200);
    expect(body.policy.name).toBe("many-actions");
    const byId = Object.fromEntries(body.ranked.map((r) => [r.id, r]));
    expect(byId["offer-59"]?.eligible).toBe(false);
    expect(byId["offer-59"]?.reasons).toContain("max_cost: cost 6 exceeds 5");
    expect(byId.call?.eligible).toBe(true);
    expect(byId["offer-1"]?.eligible).toBe(true);
    expect(body.chosen).toBe("call");

    const batch = await post("/decision/batch", {
      customers: [{ id: "42" }],
      horizon,
      actions,
      budget: 100,
    });
    expect(batch.status).toBe(200);
    expect((await app.request("/admin/policies/active", { headers: adminAuth() })).status).toBe(
      200,
    );
  });

  test("a 200-character default action and rule scope: activated again, decided, fallback to none", async () => {
    const activated = await post("/admin/policies/long-ids/versions/1/activate", {});
    expect(activated.status).toBe(200);
    const actions = [{ id: "call", cost: 2, uplift: 0.1, margin: 8 }];
    const res = await post("/decision", { customer: { id: "42" }, horizon, actions });
    const body = (await res.json()) as {
      chosen: string;
      ranked: { id: string; reasons: string[] }[];
    };
    expect(res.status).toBe(200);
    // Scoped to LONG and call: call's cost 2 is over 1.
    expect(body.ranked.find((r) => r.id === "call")?.reasons).toContain(
      "max_cost: cost 2 exceeds 1",
    );
    stub.state.mode = "down";
    try {
      const fallback = await post("/decision", { customer: { id: "42" }, horizon, actions });
      expect(fallback.status).toBe(200);
      // No request can offer a 200-character id: the default is not on offer, so none.
      expect(((await fallback.json()) as { chosen: string }).chosen).toBe("none");
    } finally {
      stub.state.mode = "ok";
    }
  });

  test("adding such a definition now is a 400 naming the field", async () => {
    const many = await post("/admin/policies", { name: "many-again", definition: manyActions });
    expect(many.status).toBe(400);
    expect(JSON.stringify(await many.json())).toContain("definition.rules.0.actions");
    const long = await post("/admin/policies", { name: "long-again", definition: longIds });
    expect(long.status).toBe(400);
    expect(JSON.stringify(await long.json())).toContain("definition.default_action");
  });

  // A default_action "email-10pct " or "EMAIL-10PCT" was stored (201), activated, and on a
  // forecast outage replaced by none with nothing said.
  test("ids /decision refuses are a 400 when added; a stored one loads and its fallback says so", async () => {
    for (const [definition, path] of [
      [{ default_action: "email-10pct " }, "definition.default_action"],
      [{ default_action: "NONE" }, "definition.default_action"],
      [
        { rules: [{ rule: "max_cost", value: 1, actions: ["\u202eemail"] }] },
        "definition.rules.0.actions.0",
      ],
      [{ uplifts: { "\temail": { uplift: 0.1 } } }, "definition.uplifts.\temail"],
    ] as const) {
      const res = await post("/admin/policies", { name: "fb", definition });
      const body = (await res.json()) as { error: { details: { path: string }[] } };
      expect([res.status, body.error.details.map((d) => d.path)]).toEqual([400, [path]]);
    }
    expect((await post("/admin/policies/fb/versions/1/activate", {})).status).toBe(200);
    stub.state.mode = "down";
    try {
      const actions = [{ id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 }];
      const res = await post("/decision", { customer: { id: "42" }, horizon, actions });
      const body = (await res.json()) as { chosen: string; ranked: { reasons: string[] }[] };
      expect([res.status, body.chosen]).toEqual([200, "none"]);
      expect(body.ranked[0]?.reasons).toEqual([
        'fallback: forecast unavailable (bad_status); policy default action "none" ("EMAIL-10PCT" is not among the actions offered)',
      ]);
    } finally {
      stub.state.mode = "ok";
    }
  });
});

const adminAuth = () => ({ authorization: `Bearer ${ADMIN}` });
