// POST /decision/batch about a customer erased moments before (a real erasure, on PGlite and on
// PostgreSQL, through app.request()): the keyed batch's stored answer lands with its rows (no
// reader ever sees it as first sealed), and the answer's figures leave the erased customer out.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { ANSWER_JSON, eraseCustomerDecisions } from "@pp/shared/registry/decision-log.ts";
import { type TestDatabase, testDrivers } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { hashApiKey } from "../auth/api-key-hash.ts";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";
import { idempotentDecisionId } from "./idempotent-decision.ts";

const API_KEY = "erased-keyed-batch-key-0123456789";
const ERASED = "gone-1";
const OTHER = "here-1";
/** Erased in one test only: treated and explored in its campaign (draws 0.660 and 0.099). */
const EXPLORED = "gone-2";
const horizon = { value: 13, unit: "week" };
const actions = [
  { id: "email", cost: 0.5, uplift: 0.2, margin: 10 },
  { id: "call", cost: 6, uplift: 0.4, margin: 10 },
];

interface Answer {
  selected: Array<{ id: string; expected_profit: number }>;
  totals: { customers: number; cost: number; expected_profit: number };
  selection: { exact: boolean; lp_upper_bound: number; gap: number };
  errors: Array<{ id: string; error: { code: string } }>;
}

for (const driver of testDrivers()) {
  describe(`a keyed batch about a customer erased moments ago, on ${driver}`, () => {
    let decision: DecisionTestApp;
    let t: TestDatabase;
    let app: DecisionTestApp["app"];
    /** Set: each handle the service asks for first reads the stored answer under this id. */
    let watched: string | null = null;
    const seen: string[] = [];

    const storedAnswer = async (decisionId: string) => {
      const [row] = await t.handle.db
        .select({ scores: decisionLog.scores })
        .from(decisionLog)
        .where(eq(decisionLog.decisionId, decisionId));
      const json = (row?.scores as Record<string, unknown> | undefined)?.[ANSWER_JSON];
      return typeof json === "string" ? json : null;
    };

    beforeAll(async () => {
      const known = {
        [ERASED]: { expected_purchases: 4, p_alive: 0.9 },
        [OTHER]: { expected_purchases: 4, p_alive: 0.9 },
        [EXPLORED]: { expected_purchases: 4, p_alive: 0.9 },
        ...Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [
            `m-${i}`,
            { expected_purchases: 2 + i, p_alive: 0.9 },
          ]),
        ),
      };
      decision = await openDecisionTestApp(
        { API_KEYS: API_KEY },
        {
          driver,
          forecast: { known },
          // Every statement the service runs starts here: a replay from another process at any
          // of those moments reads what this read reads.
          database: (testDb) => async () => {
            if (watched) {
              const json = await storedAnswer(watched);
              if (json !== null) seen.push(json);
            }
            return testDb.handle.db;
          },
        },
      );
      ({ app, testDb: t } = decision);
    }, 60_000);
    afterAll(() => decision?.close());

    const post = (
      customers: string[],
      budget: number,
      key?: string,
      more: Record<string, unknown> = {},
    ) =>
      app.request("/decision/batch", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          Authorization: `Bearer ${API_KEY}`,
          ...(key ? { "Idempotency-Key": key } : {}),
        },
        body: JSON.stringify({
          customers: customers.map((id) => ({ id })),
          horizon,
          actions,
          budget,
          ...more,
        }),
      });
    const erase = () =>
      t.handle.db.transaction((tx) => eraseCustomerDecisions(tx, [ERASED], { forgotten: false }));

    test("the stored answer lands with the rows: no read ever sees the one first sealed", async () => {
      const key = "erased-atomic-1";
      const caller = `env:${(await hashApiKey(API_KEY)).slice(0, 8)}`;
      watched = await idempotentDecisionId(caller, key);
      seen.length = 0;
      await erase();
      const res = await post([OTHER, ERASED], 100, key);
      const text = await res.text();
      watched = null;
      expect(res.status).toBe(200);
      expect((JSON.parse(text) as Answer).errors.map((e) => [e.id, e.error.code])).toEqual([
        [ERASED, "conflict"],
      ]);
      const final = (await storedAnswer(await idempotentDecisionId(caller, key))) as string;
      // Position 1 (the erased customer) is named only among the errors.
      expect((JSON.parse(final) as Answer).selected.map((s) => s.id)).toEqual([0] as never);
      console.log(`stored answers read while deciding: ${seen.length}, first: ${seen[0]}`);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((json) => json !== final)).toEqual([]);
    });

    test.each([100, 6.5, 6, 1])(
      "budget %d: the bound and gap are those of the customers left, not of the erased one",
      async (budget) => {
        await erase();
        const res = await post([OTHER, ERASED], budget);
        expect(res.status).toBe(200);
        const answer = (await res.json()) as Answer;
        expect(answer.errors.map((e) => e.id)).toEqual([ERASED]);
        // The batch the customers left make, decided now: the selection's LP bound over them.
        const alone = (await (await post([OTHER], budget)).json()) as Answer;
        const { selection, totals } = answer;
        console.log(
          `budget ${budget}: total ${totals.expected_profit}, lp_upper_bound ${selection.lp_upper_bound}, gap ${selection.gap} (alone: ${alone.selection.lp_upper_bound})`,
        );
        expect(selection.lp_upper_bound).toBeCloseTo(
          Math.max(alone.selection.lp_upper_bound, totals.expected_profit),
          9,
        );
        expect(selection.lp_upper_bound - selection.gap).toBeCloseTo(totals.expected_profit, 9);
        expect(selection.exact).toBe(selection.gap === 0);
      },
    );

    test("in a campaign: the bound is the treated group's without the erased customer", async () => {
      const members = Array.from({ length: 8 }, (_, i) => `m-${i}`);
      await erase();
      // The erased customer is treated in this campaign (their draw is 0.449, above the share).
      const campaign = { campaign: "erased-bound-2", control_share: 0.3 };
      const res = await post([ERASED, ...members], 20, undefined, campaign);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Answer & {
        campaign: { groups: { treated: number; control: number } };
      };
      expect(answer.errors.map((e) => e.id)).toEqual([ERASED]);
      const { selection, totals } = answer;
      console.log(
        `campaign: total ${totals.expected_profit}, lp_upper_bound ${selection.lp_upper_bound}, gap ${selection.gap}, groups ${JSON.stringify(answer.campaign.groups)}`,
      );
      // The same campaign without the erased customer: the same groups, the treated selection's bound.
      const alone = (await (await post(members, 20, undefined, campaign)).json()) as Answer;
      expect(selection.lp_upper_bound).toBeCloseTo(
        Math.max(alone.selection.lp_upper_bound, totals.expected_profit),
        9,
      );
      expect(selection.lp_upper_bound - selection.gap).toBeCloseTo(totals.expected_profit, 9);
      expect(selection.exact).toBe(selection.gap === 0);
    });

    test("exploring, an erased control customer leaves the selection as it was", async () => {
      const members = Array.from({ length: 8 }, (_, i) => `m-${i}`);
      await erase();
      // At this share the erased customer is control (draw 0.421); m-0 and m-1 are explored.
      const more = { campaign: "erased-explore-2", control_share: 0.5, exploration_share: 0.3 };
      const res = await post([ERASED, ...members], 20, undefined, more);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Answer & {
        campaign: { exploration: { explored: number } };
      };
      expect(answer.errors.map((e) => e.id)).toEqual([ERASED]);
      expect(answer.campaign.exploration.explored).toBe(2);
      // The treated selection never saw the control customer: the same batch without them.
      const alone = (await (await post(members, 20, undefined, more)).json()) as Answer;
      expect({ selection: answer.selection, totals: answer.totals }).toEqual({
        selection: alone.selection,
        totals: alone.totals,
      });
    });

    test("exploring, an erased explored customer leaves the greedy selection as it was", async () => {
      const customers = [EXPLORED, ...Array.from({ length: 8 }, (_, i) => `m-${i}`)];
      const more = { campaign: "erased-explored-13", control_share: 0.5, exploration_share: 0.3 };
      type Explored = Answer & { campaign: { exploration: { explored: number } } };
      // Decided before the erasure, then again just after it: the same draws, one row skipped.
      const before = (await (await post(customers, 20, undefined, more)).json()) as Explored;
      expect(before.errors).toEqual([]);
      const pick = before.selected.find((s) => s.id === EXPLORED) as Answer["selected"][number];
      await t.handle.db.transaction((tx) =>
        eraseCustomerDecisions(tx, [EXPLORED], { forgotten: false }),
      );
      const after = (await (await post(customers, 20, undefined, more)).json()) as Explored;
      expect(after.errors.map((e) => e.id)).toEqual([EXPLORED]);
      expect(after.campaign.exploration.explored).toBe(before.campaign.exploration.explored - 1);
      expect(after.selection).toEqual(before.selection);
      expect(after.totals.customers).toBe(before.totals.customers - 1);
      expect(after.totals.expected_profit).toBeCloseTo(
        before.totals.expected_profit - pick.expected_profit,
        9,
      );
    });
  });
}
