// `ml simulate --campaign` prints the decisions decision_log took, not the rows it sent: a
// customer erased before the run is skipped by the log (its decision predates the erasure), and
// the line said "wrote 300 decisions" with 299 in the table.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { simulateCampaignPopulation } from "./campaign-simulator.ts";
import { runSimulateCampaign } from "./simulate-campaign.ts";

const CUSTOMERS = 300;
const SEED = 9;

test("a customer erased before the run: the written and skipped counts are printed", async () => {
  const testDb = await openTestDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "pp-sim-written-"));
  try {
    const { db } = testDb.handle;
    const erased = simulateCampaignPopulation({ customers: CUSTOMERS, seed: SEED }).ids[0]!;
    await forgetCustomers(db, [erased]);
    const lines: string[] = [];
    await runSimulateCampaign({
      db,
      campaign: "erased-97",
      customers: CUSTOMERS,
      seed: SEED,
      controlShare: 0.2,
      out: join(dir, "tx.csv"),
      print: (line) => lines.push(line),
    });
    const logged = await db
      .select()
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, "erased-97"));
    expect(logged.length).toBe(CUSTOMERS - 1);
    expect(logged.some((r) => r.customerId === erased)).toBe(false);
    const summary = lines.find((l) => l.startsWith("campaign erased-97:")) ?? "";
    expect(summary).toContain(
      `wrote ${CUSTOMERS - 1} decisions to decision_log (1 skipped: its customer was erased)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await testDb.cleanup();
  }
}, 120_000);

test("nothing skipped: no skipped count", async () => {
  const testDb = await openTestDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "pp-sim-written-"));
  try {
    const lines: string[] = [];
    await runSimulateCampaign({
      db: testDb.handle.db,
      campaign: "all-97",
      customers: CUSTOMERS,
      seed: SEED,
      controlShare: 0.2,
      out: join(dir, "tx.csv"),
      print: (line) => lines.push(line),
    });
    const summary = lines.find((l) => l.startsWith("campaign all-97:")) ?? "";
    expect(summary).toContain(`wrote ${CUSTOMERS} decisions to decision_log and `);
    expect(summary).not.toContain("skipped");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await testDb.cleanup();
  }
}, 120_000);
