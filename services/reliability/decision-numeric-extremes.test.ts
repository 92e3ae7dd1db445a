// Numeric extremes through the decision path, end to end: forecast and decision as real Bun
// processes, the decision log on the embedded store (PGlite) and on PostgreSQL. Bad numbers are a
// 4xx JSON error naming the field; numbers within the bounds give finite figures everywhere (the
// answer and the stored rows), a batch stays within its budget, the rows hold the numbers sent,
// and ties at the budget's edge are broken the same way every time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compensatedSum } from "@pp/shared/numeric/compensated-sum.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";
import {
  API_KEY,
  type ServiceProcesses,
  startServiceProcesses,
} from "../testing/service-processes.ts";

const ADMIN = "admin-key-numeric-extremes-0123456789";
const MAX = 1.7976931348623157e308;
const H = { value: 26, unit: "week" };

/** Summaries at the schema's edges that a history can give (forecast-figures.test.ts). */
const EXTREME_SUMMARIES = [
  { frequency: 1_000_000, recency: 142_857, T: 1_000_000 },
  { frequency: 1_000_000, recency: 1_000_000, T: 1_000_000, monetary: 1e12 },
  { frequency: 1, recency: 6e-323, T: 6.4e-323, monetary: 0 },
  { frequency: 0, recency: 0, T: 1e-300 },
  { frequency: 1_000_000, recency: 142_857.14285714287, T: 142_857.14285714287, monetary: 1e12 },
];

/** Actions at the bounds: the dearest and the cheapest, the largest uplift and margin. */
const EXTREME_ACTIONS = [
  { id: "free-ish", cost: 5e-324, uplift: 100, margin: 1e12 },
  { id: "dear", cost: 1e12, uplift: 100, margin: 1e12 },
  { id: "harmful", cost: 1e-300, uplift: -1, margin: 1e12 },
  { id: "tiny", cost: 0, uplift: 1e-300, margin: 5e-324 },
];

/** [label, raw JSON body, the field the error must name]. */
function hostileCases(id: string): Array<[string, string, string, string]> {
  const one = (action: string, extra = "") =>
    `{"customer":{"id":"${id}"},"horizon":{"value":26,"unit":"week"},"actions":[${action}]${extra}}`;
  const batch = (action: string, budget: string, extra = "") =>
    `{"customers":[{"id":"${id}"}],"horizon":{"value":26,"unit":"week"},"actions":[${action}],"budget":${budget}${extra}}`;
  const ok = `{"id":"a","cost":1,"uplift":0.1,"margin":10}`;
  const summary = (s: string) =>
    `{"customer":{"id":"s","summary":${s}},"horizon":{"value":26,"unit":"week"},"actions":[${ok}]}`;
  return [
    // These four were answered 200 with expected_profit null (Infinity) or a silent pick of nobody.
    [
      "/decision",
      "margin 1.7976931348623157e308",
      one(`{"id":"a","cost":1,"uplift":100,"margin":1.7976931348623157e308}`),
      "actions.0.margin",
    ],
    [
      "/decision",
      "cost 1e308",
      one(`{"id":"a","cost":1e308,"uplift":0.1,"margin":1}`),
      "actions.0.cost",
    ],
    [
      "/decision/batch",
      "margin 1e308",
      batch(`{"id":"a","cost":9e307,"uplift":100,"margin":1e308}`, "1e308"),
      "actions.0.margin",
    ],
    [
      "/decision",
      "margin just over 1e12",
      one(`{"id":"a","cost":1,"uplift":0.1,"margin":1000000000000.0002}`),
      "actions.0.margin",
    ],
    [
      "/decision/batch",
      "cost 2^53+1",
      batch(`{"id":"a","cost":9007199254740993,"uplift":0.1,"margin":1}`, "1"),
      "actions.0.cost",
    ],
    [
      "/decision",
      "margin 1e999",
      one(`{"id":"a","cost":1,"uplift":0.1,"margin":1e999}`),
      "actions.0.margin",
    ],
    [
      "/decision",
      "uplift -1e999",
      one(`{"id":"a","cost":1,"uplift":-1e999,"margin":1}`),
      "actions.0.uplift",
    ],
    [
      "/decision",
      "uplift just over 100",
      one(`{"id":"a","cost":1,"uplift":100.00000000000001,"margin":1}`),
      "actions.0.uplift",
    ],
    [
      "/decision",
      "cost as a string",
      one(`{"id":"a","cost":"1","uplift":0.1,"margin":1}`),
      "actions.0.cost",
    ],
    [
      "/decision",
      "cost -5e-324",
      one(`{"id":"a","cost":-5e-324,"uplift":0.1,"margin":1}`),
      "actions.0.cost",
    ],
    ["/decision/batch", "budget 1e999", batch(ok, "1e999"), "budget"],
    ["/decision/batch", "budget -5e-324", batch(ok, "-5e-324"), "budget"],
    ["/decision/batch", "budget as a string", batch(ok, `"100"`), "budget"],
    ["/decision/batch", "budget null", batch(ok, "null"), "budget"],
    [
      "/decision",
      "horizon 1e999",
      `{"customer":{"id":"${id}"},"horizon":{"value":1e999,"unit":"day"},"actions":[${ok}]}`,
      "horizon.value",
    ],
    [
      "/decision",
      "horizon -0",
      `{"customer":{"id":"${id}"},"horizon":{"value":-0,"unit":"day"},"actions":[${ok}]}`,
      "horizon.value",
    ],
    [
      "/decision/batch",
      "control_share just over 0.5",
      batch(ok, "1", `,"campaign":"c1","control_share":0.5000000000000001`),
      "control_share",
    ],
    [
      "/decision/batch",
      "control_share -5e-324",
      batch(ok, "1", `,"campaign":"c1","control_share":-5e-324`),
      "control_share",
    ],
    [
      "/decision",
      "T 1e999",
      summary(`{"frequency":1,"recency":1,"T":1e999}`),
      "customer.summary.T",
    ],
    [
      "/decision",
      "monetary 1.7976931348623157e308",
      summary(`{"frequency":1,"recency":1,"T":2,"monetary":1.7976931348623157e308}`),
      "customer.summary.monetary",
    ],
    [
      "/decision",
      "frequency 2^53+1",
      summary(`{"frequency":9007199254740993,"recency":1,"T":2}`),
      "customer.summary.frequency",
    ],
    [
      "/decision",
      "frequency 1.5",
      summary(`{"frequency":1.5,"recency":1,"T":2}`),
      "customer.summary.frequency",
    ],
  ];
}

interface Ranked {
  id: string;
  expected_profit: number | null;
  cost: number;
}
interface DecisionBody {
  decision_id: string;
  chosen: string;
  ranked: Ranked[];
  forecast: { expected_purchases: number } | null;
}
interface BatchBody {
  selected: Array<{ id: string; action: string; cost: number; expected_profit: number }>;
  totals: { customers: number; cost: number; expected_profit: number };
  selection: { budget: number; lp_upper_bound: number; gap: number };
  considered: number;
  errors: Array<{ id: string; error: { code: string } }>;
}
interface StoredRow {
  decision_id: string;
  chosen_action: string;
  inputs: Record<string, unknown>;
  scores: Record<string, unknown>;
}

const isFiniteNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Where `value` holds, at the given keys, something other than a finite number. */
function notFinite(value: unknown, keys: ReadonlySet<string>, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => notFinite(v, keys, `${path}.${i}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(keys.has(k) && !isFiniteNumber(v) ? [`${path}.${k}=${JSON.stringify(v)}`] : []),
    ...notFinite(v, keys, `${path}.${k}`),
  ]);
}
/** The keys that always hold a number in answers and stored rows (when present). */
const NUMBER_KEYS = new Set([
  "expected_profit",
  "profit",
  "cost",
  "margin",
  "uplift",
  "budget",
  "expected_purchases",
  "lp_upper_bound",
  "gap",
  "customers",
  "uplift_base",
]);

for (const store of ["embedded", "postgres"] as const) {
  describe(`decision numeric extremes (${store} store)`, () => {
    let services: ServiceProcesses;
    let db: TestDatabase | undefined;
    let ids: string[];

    beforeAll(async () => {
      if (store === "postgres") db = await openTestDatabase("postgres");
      services = await startServiceProcesses({
        decision: {
          ADMIN_API_KEYS: ADMIN,
          ...(db ? { DATABASE_URL: db.options.databaseUrl as string } : {}),
        },
      });
      ids = services.knownIds;
    }, 180_000);

    afterAll(async () => {
      await services?.stop();
      await db?.cleanup();
    }, 60_000);

    const post = (path: string, body: string, key = API_KEY) =>
      fetch(`${services.decision.base}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body,
      });

    const storedRows = async (customerId: string): Promise<StoredRow[]> => {
      const res = await fetch(
        `${services.decision.base}/admin/customers/${encodeURIComponent(customerId)}/decisions?limit=1000`,
        { headers: { authorization: `Bearer ${ADMIN}` } },
      );
      expect(res.status).toBe(200);
      return ((await res.json()) as { decisions: StoredRow[] }).decisions;
    };

    test("hostile numbers are a 4xx JSON error naming the field, and nothing is logged", async () => {
      const id = ids[0] as string;
      const before = (await storedRows(id)).length;
      const wrong: string[] = [];
      const cases = hostileCases(id);
      for (const [path, label, body, field] of cases) {
        const res = await post(path, body);
        const text = await res.text();
        let paths: string[] = [];
        try {
          const details = (JSON.parse(text) as { error?: { details?: Array<{ path: string }> } })
            .error?.details;
          paths = (details ?? []).map((d) => d.path);
        } catch {}
        if (res.status < 400 || res.status >= 500 || !paths.includes(field)) {
          wrong.push(`${label}: ${res.status} ${text.slice(0, 160)}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(cases.length).toBe(22);
      expect((await storedRows(id)).length).toBe(before);
    }, 60_000);

    test("single decisions at the bounds: every profit finite, the row holds what was sent", async () => {
      const customers = [
        ...EXTREME_SUMMARIES.map((summary, i) => ({ id: `edge-${store}-${i}`, summary })),
        ...ids.slice(0, 5).map((id) => ({ id })),
      ];
      const problems: string[] = [];
      const answered: Array<{ customer: string; body: DecisionBody; sent: unknown }> = [];
      for (const customer of customers) {
        for (const horizon of [H, { value: 1826, unit: "day" }, { value: 5e-324, unit: "day" }]) {
          const sent = { customer, horizon, actions: EXTREME_ACTIONS };
          const res = await post("/decision", JSON.stringify(sent));
          const text = await res.text();
          if (res.status === 422) continue; // a summary the models cannot compute: its own error
          if (res.status !== 200) {
            problems.push(`${customer.id}: ${res.status} ${text.slice(0, 200)}`);
            continue;
          }
          const body = JSON.parse(text) as DecisionBody;
          problems.push(...notFinite(body, NUMBER_KEYS).map((p) => `${customer.id} answer ${p}`));
          // The choice is the eligible action of highest profit, or none.
          const best = body.ranked.reduce((a, b) =>
            (b.expected_profit ?? -Infinity) > (a.expected_profit ?? -Infinity) ? b : a,
          );
          if (body.chosen !== best.id)
            problems.push(`${customer.id}: chose ${body.chosen}, best ${best.id}`);
          answered.push({ customer: customer.id, body, sent });
        }
      }
      expect(problems).toEqual([]);
      // Most answer (the figures of the summaries that cannot be computed are 422s).
      expect(answered.length).toBeGreaterThanOrEqual(20);
      let rows = 0;
      for (const { customer, body, sent } of answered) {
        const row = (await storedRows(customer)).find((r) => r.decision_id === body.decision_id);
        if (!row) {
          problems.push(`${customer}: no row for ${body.decision_id}`);
          continue;
        }
        rows++;
        problems.push(...notFinite(row.scores, NUMBER_KEYS).map((p) => `${customer} row ${p}`));
        const { customer: c, horizon, actions } = sent as Record<string, unknown>;
        // JSON has no -0: a cost of -0 is stored (and read back) as 0, which is the same cost.
        expect(row.inputs).toEqual({ kind: "single", customer: c, horizon, actions });
        const scored = (row.scores.ranked as Ranked[]).map((r) => [r.id, r.expected_profit]);
        expect(scored).toEqual(body.ranked.map((r) => [r.id, r.expected_profit]));
      }
      expect(problems).toEqual([]);
      expect(rows).toBe(answered.length);
      console.log(
        `${store}: ${answered.length} single decisions at the bounds, ${rows} rows read back`,
      );
    }, 120_000);

    test("batches at the bounds: within the budget, finite totals, the rows hold the budget sent", async () => {
      const customers = [
        ...EXTREME_SUMMARIES.map((summary, i) => ({ id: `batch-${store}-${i}`, summary })),
        ...ids.slice(0, 40).map((id) => ({ id })),
      ];
      const actionSets = [
        EXTREME_ACTIONS,
        [{ id: "only", cost: 1e12, uplift: 100, margin: 1e12 }],
        [
          { id: "email", cost: 0.1, uplift: 0.1, margin: 12 },
          { id: "call", cost: 4, uplift: 0.35, margin: 12 },
        ],
      ];
      const budgets = [0, 5e-324, 1e-300, 0.3, 1e12, 3e12, 1e308, MAX];
      const problems: string[] = [];
      let batches = 0;
      let rowsChecked = 0;
      for (const actions of actionSets) {
        for (const budget of budgets) {
          const res = await post(
            "/decision/batch",
            JSON.stringify({ customers, horizon: H, actions, budget }),
          );
          const text = await res.text();
          if (res.status !== 200) {
            problems.push(`budget ${budget}: ${res.status} ${text.slice(0, 200)}`);
            continue;
          }
          batches++;
          const body = JSON.parse(text) as BatchBody;
          const label = `budget ${budget}, ${actions.length} actions`;
          problems.push(...notFinite(body, NUMBER_KEYS).map((p) => `${label} answer ${p}`));
          // Summed as the answer sums it, compensated (added one by one, these costs came to
          // 23.90000000000002 where the costs' sum rounds to 23.9).
          const spent = compensatedSum(body.selected.map((p) => p.cost));
          // The documented rounding room is relative (1e-12 of the budget).
          if (spent > budget * (1 + 1e-12)) problems.push(`${label}: spent ${spent}`);
          if (body.totals.cost !== spent)
            problems.push(`${label}: totals.cost ${body.totals.cost} ≠ ${spent}`);
          if (body.selection.budget !== budget)
            problems.push(`${label}: echoed ${body.selection.budget}`);
          if (body.considered + body.errors.length !== customers.length)
            problems.push(`${label}: considered ${body.considered} + ${body.errors.length} errors`);
          if (budget >= 1e308) {
            // An unlimited budget selects every customer with an option that pays.
            for (const c of customers) {
              if (body.errors.some((e) => e.id === c.id)) continue;
              const row = (await storedRows(c.id))[0] as StoredRow;
              const options = row.scores.options as Array<{ profit: number }>;
              const pays = options.some((o) => o.profit > 1e-9);
              if (pays !== (row.chosen_action !== "none"))
                problems.push(`${label}: ${c.id} chose ${row.chosen_action}, options pay: ${pays}`);
            }
          }
          for (const e of body.errors)
            if (e.error.code !== "not_computable" && e.error.code !== "invalid_customer")
              problems.push(`${label}: ${e.id} ${e.error.code}`);
          // The stored rows of the two extreme-summary customers of this batch that answered.
          const scoredIds = customers
            .slice(0, EXTREME_SUMMARIES.length)
            .map((c) => c.id)
            .filter((cid) => !body.errors.some((e) => e.id === cid));
          for (const cid of scoredIds) {
            const rows = await storedRows(cid);
            const latest = rows[0] as StoredRow;
            rowsChecked++;
            if (latest.inputs.budget !== budget)
              problems.push(
                `${label}: ${cid} stored budget ${JSON.stringify(latest.inputs.budget)}`,
              );
            problems.push(
              ...notFinite(latest.scores, NUMBER_KEYS).map((p) => `${label} ${cid} row ${p}`),
            );
          }
        }
      }
      expect(problems).toEqual([]);
      expect(batches).toBe(actionSets.length * budgets.length);
      console.log(`${store}: ${batches} batches, ${rowsChecked} rows read back`);
      expect(rowsChecked).toBeGreaterThanOrEqual(batches);
    }, 300_000);

    test("ties at the budget's edge: equal customers, the first ones by position, every time", async () => {
      // 30 customers with one summary: equal forecasts, equal profits.
      const summary = { frequency: 4, recency: 30, T: 40, monetary: 20 };
      const customers = Array.from({ length: 30 }, (_, i) => ({
        id: `tie-${store}-${i}`,
        summary,
      }));
      const cases: Array<
        [Array<{ id: string; cost: number; uplift: number; margin: number }>, number, number]
      > = [
        // [actions, budget, customers selected]
        [[{ id: "email", cost: 0.1, uplift: 0.5, margin: 12 }], 0.3, 3],
        [[{ id: "email", cost: 0.1, uplift: 0.5, margin: 12 }], 0.1 + 0.2, 3],
        [[{ id: "email", cost: 0.1, uplift: 0.5, margin: 12 }], 0.29999999999999993, 3],
        [[{ id: "email", cost: 0.1, uplift: 0.5, margin: 12 }], 0.2999999, 2],
        [[{ id: "email", cost: 5e-324, uplift: 0.5, margin: 12 }], 1.5e-323, 3],
        [
          [
            { id: "email", cost: 0.1, uplift: 0.5, margin: 12 },
            { id: "call", cost: 0.7, uplift: 2, margin: 12 },
          ],
          1.5,
          -1,
        ],
      ];
      const problems: string[] = [];
      for (const [actions, budget, count] of cases) {
        const answers: string[] = [];
        for (let round = 0; round < 2; round++) {
          const res = await post(
            "/decision/batch",
            JSON.stringify({ customers, horizon: H, actions, budget }),
          );
          expect(res.status).toBe(200);
          const body = (await res.json()) as BatchBody;
          // Summed as the answer sums it (compensated).
          const spent = compensatedSum(body.selected.map((p) => p.cost));
          if (spent > budget * (1 + 1e-12)) problems.push(`budget ${budget}: spent ${spent}`);
          if (count >= 0) {
            const expected = customers.slice(0, count).map((c) => c.id);
            const got = body.selected.map((s) => s.id);
            if (JSON.stringify(got) !== JSON.stringify(expected))
              problems.push(`budget ${budget}: selected ${got.join(",")}`);
          }
          answers.push(JSON.stringify(body.selected.map((s) => [s.id, s.action, s.cost])));
        }
        if (answers[0] !== answers[1])
          problems.push(`budget ${budget}: two answers ${answers.join(" / ")}`);
      }
      expect(problems).toEqual([]);
      // Costs in a tiny unit: profits 1 : 5 : 6 at costs 1 : 2 : 3 (× 1e-300), room for 4: the
      // middle action for both customers. (The hull dropped it: one customer got the dearest.)
      const tiny = await post(
        "/decision/batch",
        JSON.stringify({
          customers: customers.slice(0, 2),
          horizon: H,
          actions: [
            { id: "a", cost: 1e-300, uplift: 0.1, margin: 12 },
            { id: "b", cost: 2e-300, uplift: 0.5, margin: 12 },
            { id: "c", cost: 3e-300, uplift: 0.6, margin: 12 },
          ],
          budget: 4e-300,
        }),
      );
      expect(tiny.status).toBe(200);
      const picked = (await tiny.json()) as BatchBody;
      expect(picked.selected.map((p) => [p.id, p.action])).toEqual([
        [`tie-${store}-0`, "b"],
        [`tie-${store}-1`, "b"],
      ]);
      expect(picked.selection.lp_upper_bound).toBeGreaterThanOrEqual(picked.totals.expected_profit);
    }, 120_000);

    test("a keyed retry at the bounds replays the answer to the byte", async () => {
      const bodies: Array<[string, unknown]> = [
        [
          "/decision",
          {
            customer: { id: `keyed-${store}`, summary: EXTREME_SUMMARIES[4] },
            horizon: H,
            actions: EXTREME_ACTIONS,
          },
        ],
        [
          "/decision/batch",
          {
            customers: [
              ...EXTREME_SUMMARIES.map((summary, i) => ({
                id: `keyed-batch-${store}-${i}`,
                summary,
              })),
              ...ids.slice(0, 10).map((id) => ({ id })),
            ],
            horizon: H,
            actions: EXTREME_ACTIONS,
            budget: 1e-300,
          },
        ],
        [
          "/decision/batch",
          {
            customers: ids.slice(10, 20).map((id) => ({ id })),
            horizon: H,
            actions: [
              { id: "email", cost: 0.1, uplift: 0.1, margin: 12 },
              { id: "call", cost: 0.30000000000000004, uplift: 0.35, margin: 1e12 },
            ],
            budget: MAX,
          },
        ],
      ];
      for (const [path, body] of bodies) {
        const key = crypto.randomUUID();
        const send = () =>
          fetch(`${services.decision.base}${path}`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${API_KEY}`,
              "content-type": "application/json",
              "idempotency-key": key,
            },
            body: JSON.stringify(body),
          });
        const first = await send();
        const firstText = await first.text();
        expect(first.status).toBe(200);
        const again = await send();
        expect(again.headers.get("idempotent-replayed")).toBe("true");
        expect(await again.text()).toBe(firstText);
      }
    }, 60_000);

    test("policies at the bounds: stored as sent, and their decisions stay finite", async () => {
      const admin = (path: string, body?: string) =>
        fetch(`${services.decision.base}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          ...(body === undefined ? {} : { body }),
        });
      // Hostile policy numbers: a 400 naming the field (admin-hostile-inputs.test.ts has others).
      const hostile: Array<[string, string]> = [
        [`{"uplifts":{"e":{"uplift":1e999}}}`, "definition.uplifts.e.uplift"],
        [`{"uplifts":{"e":{"uplift":-1.0000000000000002}}}`, "definition.uplifts.e.uplift"],
        [`{"uplifts":{"e":{"uplift":"0.1"}}}`, "definition.uplifts.e.uplift"],
        [
          `{"uplifts":{"e":{"uplift":0.1,"by_p_alive":[{"min":"0","max":1,"uplift":1}]}}}`,
          "definition.uplifts.e.by_p_alive.0.min",
        ],
        [
          `{"uplifts":{"e":{"uplift":0.1,"by_p_alive":[{"min":0,"max":1e999,"uplift":1}]}}}`,
          "definition.uplifts.e.by_p_alive.0.max",
        ],
        [`{"rules":[{"rule":"min_roi","value":1e999}]}`, "definition.rules.0.value"],
        [
          `{"rules":[{"rule":"min_p_alive","value":1.0000000000000002}]}`,
          "definition.rules.0.value",
        ],
        [`{"rules":[{"rule":"max_cost","value":-5e-324}]}`, "definition.rules.0.value"],
        [`{"control_share":-5e-324}`, "definition.control_share"],
        [`{"control_share":0.5000000000000001}`, "definition.control_share"],
      ];
      const wrong: string[] = [];
      for (const [definition, field] of hostile) {
        const res = await admin("/admin/policies", `{"name":"hostile","definition":${definition}}`);
        const text = await res.text();
        if (res.status !== 400 || !text.includes(`"path":"${field}"`))
          wrong.push(`${definition}: ${res.status} ${text.slice(0, 160)}`);
      }
      expect(wrong).toEqual([]);

      const definition = {
        profit_model: "lapsing-uplift",
        rules: [
          { rule: "min_roi", value: -MAX },
          { rule: "max_cost", value: MAX },
          { rule: "min_expected_profit", value: -1e308 },
          { rule: "min_expected_purchases", value: 5e-324, actions: ["dear"] },
        ],
        uplifts: {
          "free-ish": {
            uplift: 100,
            by_p_alive: [
              { min: 0, max: 5e-324, uplift: -1 },
              { min: 5e-324, max: 1e-300, uplift: 1e-300 },
              { min: 1e-300, max: 1, uplift: 100 },
            ],
          },
          dear: { uplift: 5e-324 },
        },
        control_share: 1e-300,
      };
      const created = await admin("/admin/policies", JSON.stringify({ name: "edges", definition }));
      expect(created.status).toBe(201);
      const { version } = (await created.json()) as { version: number };
      const read = await fetch(
        `${services.decision.base}/admin/policies/edges/versions/${version}`,
        {
          headers: { authorization: `Bearer ${ADMIN}` },
        },
      );
      const stored = (await read.json()) as { definition: Record<string, unknown> };
      // Every number as sent (defaults added by the schema aside).
      expect(stored.definition).toMatchObject(definition);
      expect((await admin(`/admin/policies/edges/versions/${version}/activate`)).status).toBe(200);

      const problems: string[] = [];
      const customers = [
        ...EXTREME_SUMMARIES.map((summary, i) => ({ id: `policy-${store}-${i}`, summary })),
        ...ids.slice(0, 20).map((id) => ({ id })),
      ];
      for (const customer of customers) {
        const res = await post(
          "/decision",
          JSON.stringify({ customer, horizon: H, actions: EXTREME_ACTIONS, campaign: "edges" }),
        );
        const text = await res.text();
        if (res.status !== 200) {
          problems.push(`${customer.id}: ${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        const body = JSON.parse(text) as DecisionBody & { policy: { name: string } };
        if (body.policy.name !== "edges")
          problems.push(`${customer.id}: policy ${body.policy.name}`);
        problems.push(...notFinite(body, NUMBER_KEYS).map((p) => `${customer.id} answer ${p}`));
        const row = (await storedRows(customer.id)).find((r) => r.decision_id === body.decision_id);
        if (!row) problems.push(`${customer.id}: no row`);
        else
          problems.push(
            ...notFinite(row.scores, NUMBER_KEYS).map((p) => `${customer.id} row ${p}`),
          );
      }
      for (const budget of [0, 5e-324, 1e12, MAX]) {
        const res = await post(
          "/decision/batch",
          JSON.stringify({
            customers,
            horizon: H,
            actions: EXTREME_ACTIONS,
            budget,
            campaign: "edges",
          }),
        );
        const text = await res.text();
        if (res.status !== 200) {
          problems.push(`batch ${budget}: ${res.status} ${text.slice(0, 200)}`);
          continue;
        }
        const body = JSON.parse(text) as BatchBody;
        problems.push(...notFinite(body, NUMBER_KEYS).map((p) => `batch ${budget} answer ${p}`));
        const spent = body.selected.reduce((sum, p) => sum + p.cost, 0);
        if (spent > budget * (1 + 1e-12)) problems.push(`batch ${budget}: spent ${spent}`);
        if (body.errors.length > 0)
          problems.push(`batch ${budget}: ${JSON.stringify(body.errors)}`);
      }
      expect(problems).toEqual([]);
    }, 120_000);

    // The embedded store is read through the admin API above (its process holds the directory).
    test.skipIf(store !== "postgres")(
      "the stored rows, read in SQL: every number a number",
      async () => {
        if (!db) throw new Error("no PostgreSQL database");
        const sql = postgres(db.options.databaseUrl as string, { max: 1, onnotice: () => {} });
        try {
          const keys = [...NUMBER_KEYS].map((k) => `$.**.${k} ? (@.type() != "number")`);
          const [counts] = await sql.unsafe(
            `select count(*)::int as rows,
                  count(*) filter (where ${keys
                    .map(
                      (_, i) =>
                        `jsonb_path_exists(scores, $${i + 1}) or jsonb_path_exists(inputs, $${i + 1})`,
                    )
                    .join(" or ")})::int as bad
             from decision_log`,
            keys,
          );
          console.log(
            `${store}: ${counts?.rows} rows in decision_log, ${counts?.bad} with a non-number`,
          );
          expect(counts?.rows).toBeGreaterThan(1000);
          expect(counts?.bad).toBe(0);
        } finally {
          await sql.end();
        }
      },
    );
  });
}
