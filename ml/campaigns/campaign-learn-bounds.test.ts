// `ml campaign learn` on a measured uplift below −1 (the treated bought nothing, the control about
// twice their expected purchases): the shrunk uplift, −2.495, was stored into a policy whose uplifts
// must be ≥ −1, and learn failed with a validation error naming `uplifts.email.uplift` instead of
// learning. Now the learned uplift is held at the bound, and its line says so.
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
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-bounds-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a measured uplift below −1 is learned as −1, said so, and stored", async () => {
  await ensureActivePolicy(db.handle.db); // default v1 active, email uplift 0.2
  const customers = Array.from({ length: 40 }, (_, i) => `b${i}`);
  await new DecisionLogRepository(db.handle.db).insertMany(
    customers.map((c, i) =>
      campaignDecisionRow(c, new Date("1997-10-01T10:00:00Z"), {
        id: "harm",
        group: i % 2 === 0 ? "treated" : "control",
      }),
    ),
  );
  // One expected purchase each; the treated buy none, the control 2 or 3 times.
  const lines = customers.flatMap((c, i) =>
    i % 2 === 0
      ? []
      : Array.from({ length: 2 + (i % 4 === 1 ? 1 : 0) }, (_, k) => `${c},1997-10-${10 + k},20`),
  );
  const csv = join(dir, "harm.csv");
  writeFileSync(csv, `customer_id,date,amount\n${lines.join("\n")}\n`);
  await runCampaignReport({
    db: db.handle.db,
    campaign: "harm",
    data: csv,
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
  const printed: string[] = [];
  const learned = await runCampaignLearn({
    db: db.handle.db,
    campaign: "harm",
    print: (l) => printed.push(l),
  });
  expect(printed).toContain(
    "  email: uplift 0.200 → -1.000 (measured -2.500 ± 0.225, weight 0.998: held at -1, every purchase lost (the least an uplift can be))",
  );
  expect(learned).toMatchObject({ version: 2, changed: true });
  const v2 = await new PolicyStore(db.handle.db).get("default", 2);
  const definition = v2?.definition as { uplifts: Record<string, { uplift: number }> };
  expect(definition.uplifts.email?.uplift).toBe(-1);
});
