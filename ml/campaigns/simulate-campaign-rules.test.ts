// `ml simulate --campaign` decides under the active policy's eligibility rules, as the decision
// service does: under the README's `cheap` policy (max_cost 1) it logged 1,340 calls at cost 6.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { ineligibilityReasons } from "@pp/shared/policy/eligibility.ts";
import { expectedProfit } from "@pp/shared/policy/expected-profit.ts";
import type { PolicyDefinition } from "@pp/shared/policy/policy-definition.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { decideCampaign, simulateCampaignPopulation } from "./campaign-simulator.ts";
import { runSimulateCampaign } from "./simulate-campaign.ts";
import { SIMULATED_CAMPAIGN_ACTIONS } from "./simulated-actions.ts";

const rules: PolicyDefinition["rules"] = [
  { rule: "max_cost", value: 1 },
  { rule: "min_p_alive", value: 0.7, actions: ["email"] },
];

test("no simulated decision breaks the active policy's rules", () => {
  const pop = simulateCampaignPopulation({ customers: 4000, seed: 7 });
  const unruled = decideCampaign(pop, SIMULATED_CAMPAIGN_ACTIONS, {});
  // The population does call customers when nothing forbids it (the fixture can fail).
  expect(unruled.action.filter((k) => k === 2).length).toBeGreaterThan(100);
  const decision = decideCampaign(pop, SIMULATED_CAMPAIGN_ACTIONS, { rules });
  const broken: string[] = [];
  let emails = 0;
  decision.action.forEach((k, i) => {
    if (k < 0) return;
    const a = SIMULATED_CAMPAIGN_ACTIONS[k]!;
    const action = { id: a.id, cost: a.cost, margin: a.margin, uplift: a.assumedUplift };
    const outlook = { expectedPurchases: pop.predictedPurchases[i]!, pAlive: pop.pAlive[i]! };
    const profit = expectedProfit("expected-profit", action, outlook);
    broken.push(...ineligibilityReasons(rules, action, outlook, profit));
    if (a.id === "email") emails++;
  });
  expect(broken).toEqual([]);
  expect(emails).toBeGreaterThan(100);
});

test("ml simulate --campaign under the README's cheap policy: no call logged, none printed as NaN", async () => {
  const testDb = await openTestDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "pp-sim-rules-"));
  try {
    const policies = new PolicyStore(testDb.handle.db);
    await policies.add("cheap", { profit_model: "expected-profit", rules: [rules[0]] });
    await policies.activate("cheap", 1);
    const lines: string[] = [];
    await runSimulateCampaign({
      db: testDb.handle.db,
      campaign: "spring-97",
      customers: 3000,
      seed: 5,
      controlShare: 0.3,
      out: join(dir, "tx.csv"),
      print: (line) => lines.push(line),
    });
    const logged = await testDb.handle.db
      .select({ action: decisionLog.wouldHaveAction })
      .from(decisionLog);
    const byAction: Record<string, number> = {};
    for (const r of logged) byAction[r.action ?? ""] = (byAction[r.action ?? ""] ?? 0) + 1;
    expect(byAction.call).toBeUndefined();
    expect(byAction.coupon).toBeUndefined();
    expect(byAction.email).toBeGreaterThan(100);
    expect(lines.join("\n")).not.toContain("NaN");
    expect(lines.find((l) => l.startsWith("truth call"))).toContain("chosen for no customer");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await testDb.cleanup();
  }
});
