// A campaign batch's exploration share: keyed draws within binomial bounds, the same answer on
// replay, explored rows logged with their propensity, hostile shares refused naming the field,
// and a share of 0 answering exactly as a batch without one. Against a real PGlite decision log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { compensatedSum } from "@pp/shared/numeric/compensated-sum.ts";
import { ControlAssignment } from "@pp/shared/policy/control-assignment.ts";
import { exploredAction, propensityOf } from "@pp/shared/policy/exploration.ts";
import { eq } from "drizzle-orm";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

describe("exploration draws", () => {
  test("the explored share and each action's share are within 4 binomial sd on 100k customers", async () => {
    const assignment = new ControlAssignment("a-test-secret-of-some-length");
    const n = 100_000;
    const eligible = ["call", "coupon", "email"];
    const counts = new Map<string, number>();
    let explored = 0;
    for (let i = 0; i < n; i++) {
      const draw = await assignment.explorationDraw("spring", `customer-${i}`);
      const action = exploredAction(draw, 0.2, eligible);
      if (action === null) continue;
      explored++;
      counts.set(action, (counts.get(action) ?? 0) + 1);
    }
    expect(Math.abs(explored - 0.2 * n)).toBeLessThan(4 * Math.sqrt(n * 0.2 * 0.8));
    for (const a of eligible) {
      const c = counts.get(a) ?? 0;
      expect(Math.abs(c - explored / 3)).toBeLessThan(4 * Math.sqrt((explored * 2) / 9));
    }
    // Independent of the control draw: the explored share among control customers is ε too.
    const groups = await assignment.groups(
      "spring",
      Array.from({ length: 20_000 }, (_, i) => `customer-${i}`),
      0.5,
    );
    let inControl = 0;
    let exploredControl = 0;
    for (let i = 0; i < groups.length; i++) {
      if (groups[i] !== "control") continue;
      inControl++;
      const draw = await assignment.explorationDraw("spring", `customer-${i}`);
      if (draw.explore < 0.2) exploredControl++;
    }
    const sd = Math.sqrt(inControl * 0.2 * 0.8);
    expect(Math.abs(exploredControl - 0.2 * inControl)).toBeLessThan(4 * sd);
  }, 120_000);

  test("propensity: ε/K per eligible action, plus 1 − ε for the greedy one", () => {
    const eligible = ["coupon", "email"];
    expect(propensityOf(0.2, eligible, "email", "email")).toBeCloseTo(0.9, 12);
    expect(propensityOf(0.2, eligible, "coupon", "email")).toBeCloseTo(0.1, 12);
    expect(propensityOf(0.2, eligible, "none", "none")).toBeCloseTo(0.8, 12);
    expect(propensityOf(0.2, [], "none", "none")).toBe(1);
  });
});

const KEY = "campaign-test-key-0123456789";
let t: DecisionTestApp;

beforeAll(async () => {
  t = await openDecisionTestApp({
    API_KEYS: KEY,
    CAMPAIGN_SECRET: "campaign-secret-for-tests-0123",
    // Not a test of the commit deadline: a loaded machine must not turn these into 503s.
    DECISION_LOG_COMMIT_TIMEOUT_MS: "30000",
  });
}, 30_000);

afterAll(() => t.close());

const post = (path: string, body: unknown) =>
  t.app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

const customers = Array.from({ length: 400 }, (_, i) => ({
  id: `x-${i}`,
  summary: { frequency: 1 + (i % 7), recency: 8, T: 10 },
}));
const horizon = { value: 13, unit: "week" };
const actions = [
  { id: "email", cost: 1, uplift: 0.2, margin: 10 },
  { id: "coupon", cost: 2, uplift: 0.3, margin: 10 },
];

interface Answer {
  batch_id: string;
  selected: Array<{
    id: string;
    action: string;
    decision_id: string;
    cost: number;
    expected_profit: number;
  }>;
  totals: { customers: number; cost: number; expected_profit: number };
  campaign: {
    groups: { treated: number; control: number };
    control: Array<{ decision_id: string }>;
    exploration?: { share: number; explored: number };
  };
}

/** An answer without its drawn ids (batch and decision ids), to compare two answers. */
const withoutIds = (text: string) => text.replace(/"(batch_id|decision_id)":"[^"]*"/g, '"$1":"…"');

describe("POST /decision/batch with exploration_share", () => {
  test("hostile shares are a 400 naming exploration_share", async () => {
    const base = { customers, horizon, actions, budget: 50, campaign: "hostile-x" };
    for (const share of [-0.1, 0.51, 1, "0.2", null, true, 1e308 * 10]) {
      const res = await post("/decision/batch", { ...base, exploration_share: share });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain("exploration_share");
    }
    const { campaign: _, ...noCampaign } = base;
    const res = await post("/decision/batch", { ...noCampaign, exploration_share: 0.1 });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("exploration_share needs a campaign");
  });

  test("a share of 0 answers byte for byte as no share; 0.3 explores, logs propensities, replays alike", async () => {
    const base = {
      customers,
      horizon,
      actions,
      budget: 150,
      campaign: "explore-x",
      control_share: 0.2,
    };
    const plain = await (await post("/decision/batch", base)).text();
    const zero = await (await post("/decision/batch", { ...base, exploration_share: 0 })).text();
    expect(withoutIds(zero)).toBe(withoutIds(plain));
    await t.deps.audit.drain(5000);
    const zeroRows = await t.testDb.handle.db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, "explore-x"));
    expect(zeroRows.every((r) => r.explored === null && r.propensity === null)).toBe(true);

    const body = { ...base, campaign: "explore-y", exploration_share: 0.3 };
    const first = await (await post("/decision/batch", body)).text();
    const again = await (await post("/decision/batch", body)).text();
    expect(withoutIds(again)).toBe(withoutIds(first));
    const answer = JSON.parse(first) as Answer;
    const { treated } = answer.campaign.groups;
    const explored = answer.campaign.exploration?.explored ?? 0;
    expect(Math.abs(explored - 0.3 * treated)).toBeLessThan(4 * Math.sqrt(treated * 0.3 * 0.7));
    expect(answer.totals.cost).toBeLessThanOrEqual(150);

    await t.deps.audit.drain(5000);
    const ids = new Set(answer.selected.map((s) => s.decision_id));
    const rows = (
      await t.testDb.handle.db
        .select()
        .from(decisionLog)
        .where(eq(decisionLog.campaignId, "explore-y"))
    ).filter(
      (r) =>
        ids.has(r.decisionId) ||
        answer.campaign.control.some((c) => c.decision_id === r.decisionId),
    );
    const treatedRows = rows.filter((r) => r.assignmentGroup === "treated");
    const exploredRows = treatedRows.filter((r) => r.explored);
    expect(exploredRows.length).toBe(explored);
    // Both actions were explored, each at ε/K (+ 1 − ε when it is also the greedy pick).
    expect(new Set(exploredRows.map((r) => r.chosenAction))).toEqual(new Set(["email", "coupon"]));
    for (const r of exploredRows) {
      const p = r.propensity as number;
      expect([0.15, 0.85].some((v) => Math.abs(p - v) < 1e-12)).toBe(true);
    }
    for (const r of treatedRows.filter((r) => !r.explored)) {
      expect(Math.abs((r.propensity as number) - 0.85)).toBeLessThan(1e-12);
    }
    expect(
      rows.filter((r) => r.assignmentGroup === "control").every((r) => r.explored === null),
    ).toBe(true);
  });

  test("exploration over the budget is a 422 naming exploration_share", async () => {
    const body = {
      customers,
      horizon,
      actions,
      budget: 5,
      campaign: "tight-x",
      exploration_share: 0.5,
    };
    const res = await post("/decision/batch", body);
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("exploration_share");
  });

  // The totals were the greedy sum plus the explored sum, each compensated but added plainly, so
  // with decimal costs their last digits differed from the selected rows' own sum.
  test("totals are the compensated sums of every selected row, explored ones included", async () => {
    const decimal = [
      { id: "email", cost: 0.1, uplift: 0.2, margin: 10.3 },
      { id: "coupon", cost: 0.7, uplift: 0.3, margin: 10.1 },
    ];
    const body = {
      customers,
      horizon,
      actions: decimal,
      budget: 1000,
      campaign: "decimal-x",
      exploration_share: 0.4,
    };
    const answer = (await (await post("/decision/batch", body)).json()) as Answer;
    expect(answer.campaign.exploration?.explored ?? 0).toBeGreaterThan(0);
    expect(answer.totals.cost).toBe(compensatedSum(answer.selected.map((s) => s.cost)));
    expect(answer.totals.expected_profit).toBe(
      compensatedSum(answer.selected.map((s) => s.expected_profit)),
    );
  });
});
