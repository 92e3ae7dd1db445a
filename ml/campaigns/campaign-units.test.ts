// A campaign decided under policies of different profit models (PGlite, a real CSV): its uplift
// was assumed in different units, so the report names the action whose measured uplift pools
// them, and `campaign learn` stores only uplifts measured in the active policy's units. Before,
// a lapsing-uplift campaign's 0.217 was shrunk into the default policy, where it is 0.147, and
// an action decided under both read one pooled "measured uplift" without a word.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
let csv: string;
const customers = Array.from({ length: 40 }, (_, i) => `u${i}`);
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-units-"));
  csv = join(dir, "tx.csv");
  // Treated customers buy twice, control customers once.
  const lines = customers.flatMap((c, i) =>
    i % 2 === 0 ? [`${c},1997-10-10,20`, `${c},1997-10-20,20`] : [`${c},1997-10-10,20`],
  );
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  await ensureActivePolicy(db.handle.db); // default v1 active; lapsing-uplift v1 stored
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** The campaign's decisions, each customer's under `policyOf(i)` (i even: treated). */
async function seed(campaign: string, policyOf: (i: number) => string) {
  await new DecisionLogRepository(db.handle.db).insertMany(
    customers.map((c, i) => ({
      ...campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id: campaign,
        group: i % 2 === 0 ? "treated" : "control",
      }),
      policyName: policyOf(i),
    })),
  );
}

const report = (campaign: string) =>
  runCampaignReport({
    db: db.handle.db,
    campaign,
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });

test("an action decided under two profit models is named, and learn leaves it alone", async () => {
  await seed("mixed", (i) => (i % 4 < 2 ? "default" : "lapsing-uplift"));
  const result = await report("mixed");
  expect(result.actions[0]?.profit_model).toBeNull();
  expect(result.notes).toContain(
    "email: its customers were decided under policies of different profit models (expected-profit 20, lapsing-uplift 20 customers): " +
      "its measured uplift pools their units, and `campaign learn` leaves it alone",
  );
  const printed: string[] = [];
  const learn = runCampaignLearn({
    db: db.handle.db,
    campaign: "mixed",
    print: (l) => printed.push(l),
  });
  await expect(learn).rejects.toThrow(
    `--campaign: no action of "mixed" was measured in the units of default's profit model (expected-profit)`,
  );
  expect(printed[1]).toStartWith("note: email: measured under policies of several profit models");
});

test("a campaign decided under lapsing-uplift is learned into a policy of that model only", async () => {
  await seed("winback", () => "lapsing-uplift");
  const result = await report("winback");
  expect(result.actions[0]?.profit_model).toBe("lapsing-uplift");
  // The default policy (expected-profit) is active: its units differ.
  await expect(
    runCampaignLearn({ db: db.handle.db, campaign: "winback", print: () => {} }),
  ).rejects.toThrow("activate the policy that decided the campaign and learn again");
  await new PolicyStore(db.handle.db).activate("lapsing-uplift", 1);
  const learned = await runCampaignLearn({
    db: db.handle.db,
    campaign: "winback",
    print: () => {},
  });
  expect(learned.name).toBe("lapsing-uplift");
  expect(learned.learned.map((l) => l.action)).toEqual(["email"]);
});
