// `ml simulate --campaign` on a campaign that already has decisions: refused before anything is
// written. Each run draws a population of its own under the same ids (c1, c2, …), so a second run
// logged other customers' decisions beside the first run's, and the report measured the second
// population's purchases against the first one's decisions, its same-day duplicates counted as
// later contacts (a walk's call measured at 0.032 against a true 0.6, printed as "chosen for no
// customer" by the run whose purchases were measured).
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { InvalidArgumentError } from "commander";
import { count, eq } from "drizzle-orm";
import { runSimulateCampaign } from "./simulate-campaign.ts";

const CUSTOMERS = 300;

test("a second simulate --campaign of a logged campaign is refused; its first run stays whole", async () => {
  const testDb = await openTestDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "pp-sim-rerun-"));
  try {
    const { db } = testDb.handle;
    const run = (seed: number, out: string) =>
      runSimulateCampaign({
        db,
        campaign: "rerun-97",
        customers: CUSTOMERS,
        seed,
        controlShare: 0.3,
        out: join(dir, out),
        print: () => {},
      });
    const rows = async () =>
      Number(
        (
          await db
            .select({ n: count() })
            .from(decisionLog)
            .where(eq(decisionLog.campaignId, "rerun-97"))
        )[0]?.n,
      );
    await run(1, "first.csv");
    expect(await rows()).toBe(CUSTOMERS);
    for (const seed of [7, 1]) {
      const err = await run(seed, `again-${seed}.csv`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(
        `--campaign: campaign "rerun-97" already has ${CUSTOMERS} decisions in decision_log`,
      );
      expect(existsSync(join(dir, `again-${seed}.csv`))).toBe(false);
    }
    expect(await rows()).toBe(CUSTOMERS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await testDb.cleanup();
  }
}, 120_000);

test("two runs of one new campaign at once: one is logged, the other refused", async () => {
  const testDb = await openTestDatabase("postgres");
  const dir = mkdtempSync(join(tmpdir(), "pp-sim-race-"));
  try {
    const { db } = testDb.handle;
    const runs = await Promise.allSettled(
      [3, 4].map((seed) =>
        runSimulateCampaign({
          db,
          campaign: "race-97",
          customers: CUSTOMERS,
          seed,
          controlShare: 0.3,
          out: join(dir, `race-${seed}.csv`),
          print: () => {},
        }),
      ),
    );
    expect(runs.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = runs.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason)).toContain('campaign "race-97" already has 300 decisions');
    const [logged] = await db
      .select({ n: count() })
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, "race-97"));
    expect(Number(logged?.n)).toBe(CUSTOMERS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await testDb.cleanup();
  }
}, 120_000);
