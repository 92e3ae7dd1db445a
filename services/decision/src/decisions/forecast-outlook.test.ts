// Which model's figures a policy decides on: the one it names, else the recommended one, else
// BG/NBD, with a note whenever the one asked for was not used.
import { describe, expect, test } from "bun:test";
import { newPolicyDefinitionSchema } from "@pp/shared/policy/policy-definition.ts";
import type { CustomerForecast } from "../forecast-client/forecast-contract.ts";
import { outlookFor } from "./forecast-outlook.ts";

const item: CustomerForecast = {
  id: "c1",
  recommended: "bgnbd",
  models: {
    bgnbd: { expected_purchases: 1.5, p_alive: 0.8 },
    pareto_nbd: { expected_purchases: 1.4, p_alive: 0.7 },
    gbdt: { expected_purchases: 2.1, p_alive: 0.8 },
    blend: { expected_purchases: 1.8, p_alive: 0.8 },
  },
};
const policy = (definition: object) => newPolicyDefinitionSchema.parse(definition);

describe("outlookFor", () => {
  test("each model a policy can name is used, the blend included", () => {
    for (const [name, purchases] of [
      ["bgnbd", 1.5],
      ["pareto_nbd", 1.4],
      ["gbdt", 2.1],
      ["blend", 1.8],
    ] as const) {
      const outlook = outlookFor(policy({ forecast_model: name }), item);
      expect(outlook).toEqual({
        model: name,
        expectedPurchases: purchases,
        pAlive: expect.any(Number),
        notes: [],
      });
    }
    expect(outlookFor(policy({}), item)?.model).toBe("bgnbd");
  });

  test("a model the answer lacks falls back to the recommended one, with a note", () => {
    const { blend: _, ...withoutBlend } = item.models ?? {};
    const outlook = outlookFor(policy({ forecast_model: "blend" }), {
      ...item,
      models: withoutBlend,
    });
    expect(outlook?.model).toBe("bgnbd");
    expect(outlook?.notes).toEqual(["forecast: blend gave no expected purchases; used bgnbd"]);
  });

  test("lapsing-uplift divides by P(alive), so a blend or gbdt policy uses a BTYD model's", () => {
    const outlook = outlookFor(
      policy({ forecast_model: "blend", profit_model: "lapsing-uplift" }),
      item,
    );
    expect(outlook?.model).toBe("bgnbd");
    expect(outlook?.notes[0]).toContain("blend has no P(alive) of its own");
  });

  test("an unknown model name is refused by the policy schema", () => {
    expect(newPolicyDefinitionSchema.safeParse({ forecast_model: "xgboost" }).success).toBe(false);
  });
});
