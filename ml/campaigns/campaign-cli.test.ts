// `ml simulate --campaign`, `ml campaign report` and `ml campaign learn` through the CLI on both
// database drivers: decisions land in decision_log, the report reads them back with the purchases,
// stores campaign_results and writes campaign.json/html; learn proposes (and with --activate
// activates) the next policy version, which the next simulated campaign then decides with.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import {
  CampaignSecretMismatchError,
  CampaignShares,
} from "@pp/shared/campaigns/campaign-shares.ts";
import { createDatabase } from "@pp/shared/db/client.ts";
import { campaignResults, campaignShares, decisionLog } from "@pp/shared/db/schema.ts";
import { ControlAssignment, DEV_CAMPAIGN_SECRET } from "@pp/shared/policy/control-assignment.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, testDrivers } from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import { runCliCaptured, saveDatabaseEnv } from "../testing/cli-harness.ts";
import { campaignId, storedCampaignId } from "./campaign-cli.ts";

const restoreEnv = saveDatabaseEnv();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-cli-"));
});

afterAll(() => {
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
});

/** Points the CLI at the driver's database; returns how to drop it. */
async function useDatabase(driver: string, work: string): Promise<() => Promise<void>> {
  if (driver === "pglite") {
    process.env.DATA_DIR = join(work, "db");
    delete process.env.DATABASE_URL;
    return async () => {};
  }
  const db = await openTestDatabase("postgres");
  process.env.DATABASE_URL = db.options.databaseUrl as string;
  return db.cleanup;
}

/** Simulates campaign c1 (6,000 customers, 30% control) into `csv` and reports on it. */
async function simulateAndReport(work: string, csv: string): Promise<void> {
  const sim = await runCliCaptured([
    "simulate",
    "--campaign",
    "c1",
    "--customers",
    "6000",
    "--seed",
    "4",
    "--control-share",
    "0.3",
    "--out",
    csv,
  ]);
  expect(sim.err).toBe("");
  expect(sim.code).toBe(0);
  expect(sim.out).toContain("truth call");
  const report = await runCliCaptured([
    "campaign",
    "report",
    "--campaign",
    "c1",
    "--data",
    csv,
    "--out",
    join(work, "report"),
  ]);
  expect(report.err).toBe("");
  expect(report.code).toBe(0);
  const json = JSON.parse(
    readFileSync(join(work, "report", "campaign.json"), "utf8"),
  ) as CampaignResult;
  expect(json.groups.treated + json.groups.control).toBe(6000);
  expect(Math.abs(json.groups.control_share - 0.3)).toBeLessThan(0.03);
  expect(json.actions.map((a) => a.action).sort()).toEqual(["call", "coupon", "email"]);
  expect(json.qini.length).toBe(11);
  const html = readFileSync(join(work, "report", "campaign.html"), "utf8");
  expect(html).toContain("Qini curve");
}

/** Errors name the option; nothing stored is touched. */
async function rejectsBadOptions(csv: string): Promise<void> {
  expect(
    (await runCliCaptured(["campaign", "report", "--campaign", "nope", "--data", csv])).code,
  ).toBe(2);
  expect((await runCliCaptured(["campaign", "learn", "--campaign", "nope"])).code).toBe(2);
  const late = await runCliCaptured([
    "campaign",
    "report",
    "--campaign",
    "c1",
    "--data",
    csv,
    "--window-end",
    "1997-09-01",
  ]);
  expect(late.code).toBe(2);
  expect(late.err).toContain("--window-end");
  expect(
    (await runCliCaptured(["simulate", "--campaign", "c2", "--control-share", "0.7", "--out", csv]))
      .code,
  ).toBe(2);
  // Ids the decision service refuses for a new campaign (a page of theirs answered 400; an RTL
  // override spoofs one): simulate refuses them; report and learn read any id the log may hold
  // (a campaign logged before the rule is measured), and these are in none.
  expect(storedCampaignId("x/../../admin")).toBe("x/../../admin");
  expect(() => storedCampaignId("")).toThrow("must be 1-4096 characters");
  for (const args of [
    ["simulate", "--campaign", "a b", "--out", csv],
    ["campaign", "report", "--campaign", "x\u202Egpj.exe", "--data", csv],
    ["campaign", "learn", "--campaign", "../c1"],
  ]) {
    expect((await runCliCaptured(args)).code).toBe(2);
    expect(() => campaignId(args[2] as string)).toThrow(
      "must be 1-128 letters, digits, '.', '_', ':' or '-'",
    );
  }
}

/** `ml simulate` of 50 more customers into campaign c1 at `share`. */
function simulateC1Again(work: string, share: string) {
  const out = join(work, "tx3.csv");
  return runCliCaptured([
    "simulate",
    "--campaign",
    "c1",
    "--customers",
    "50",
    "--control-share",
    share,
    "--out",
    out,
  ]);
}

/** c1's decisions, its stored result and the activated policy's uplifts, read back. */
async function checkStored(driver: string): Promise<void> {
  const handle = await createDatabase(
    driver === "pglite"
      ? { dataDir: process.env.DATA_DIR as string }
      : { databaseUrl: process.env.DATABASE_URL as string },
  );
  try {
    const rows = await handle.db.select().from(decisionLog).where(eq(decisionLog.campaignId, "c1"));
    expect(rows.length).toBe(6000);
    expect(
      rows.filter((r) => r.assignmentGroup === "control").every((r) => r.chosenAction === "none"),
    ).toBe(true);
    const stored = await handle.db
      .select()
      .from(campaignResults)
      .where(eq(campaignResults.campaignId, "c1"));
    expect(stored.length).toBe(1);
    const active = await new PolicyStore(handle.db).getActive();
    expect(
      (active?.definition as { uplifts?: Record<string, unknown> } | undefined)?.uplifts,
    ).toBeDefined();
    // The simulated share is pinned from its decisions' time, as the service pins a campaign's at
    // its first decision. Unpinned, a service under another CAMPAIGN_SECRET derived one from the
    // logged groups (none fitted: 0.00002) and treated customers logged as control.
    const [share] = await handle.db
      .select()
      .from(campaignShares)
      .where(eq(campaignShares.campaignId, "c1"));
    const first = new Date(Math.min(...rows.map((r) => r.decidedAt.getTime())));
    expect(share).toMatchObject({ campaignId: "c1", controlShare: 0.3, startedAt: first });
    const secret = process.env.CAMPAIGN_SECRET ?? DEV_CAMPAIGN_SECRET;
    const shares = (key: string) =>
      new CampaignShares(async () => handle.db, new ControlAssignment(key));
    expect((await shares(secret).pin("c1", 0.1)).share).toBe(0.3);
    // A service under another secret is refused the campaign rather than deciding on.
    await expect(shares("another-campaign-secret-0123456789").pin("c1", 0.1)).rejects.toThrow(
      CampaignSecretMismatchError,
    );
  } finally {
    await handle.close();
  }
}

for (const driver of testDrivers()) {
  describe(`ml campaign on ${driver}`, () => {
    test("simulate → report → learn --activate → the next campaign decides with learned uplifts", async () => {
      const work = join(dir, driver);
      const cleanup = await useDatabase(driver, work);
      try {
        const csv = join(work, "tx.csv");
        await simulateAndReport(work, csv);
        const learn = await runCliCaptured(["campaign", "learn", "--campaign", "c1", "--activate"]);
        expect(learn.err).toBe("");
        expect(learn.code).toBe(0);
        expect(learn.out).toMatch(/call: uplift 1\.200 → /);
        expect(learn.out).toContain("activated default v2");
        await rejectsBadOptions(csv);
        // The next campaign runs under the learned policy (v2).
        const next = await runCliCaptured([
          "simulate",
          "--campaign",
          "c2",
          "--customers",
          "500",
          "--seed",
          "5",
          "--out",
          join(work, "tx2.csv"),
        ]);
        expect(next.out).toContain("under policy default v2");
        await checkStored(driver);
        // c1 again at another share: refused before anything is written.
        const again = await simulateC1Again(work, "0.2");
        expect(again.code).toBe(2);
        expect(again.err).toContain('--control-share: campaign "c1" holds out 0.3');
        expect(existsSync(join(work, "tx3.csv"))).toBe(false);
        // c1 again under another CAMPAIGN_SECRET: its hash would put other customers in control.
        const secret = process.env.CAMPAIGN_SECRET;
        process.env.CAMPAIGN_SECRET = "another-campaign-secret-0123456789";
        try {
          const other = await simulateC1Again(work, "0.3");
          expect(other.code).toBe(2);
          expect(other.err).toContain("was decided under another secret");
        } finally {
          if (secret === undefined) delete process.env.CAMPAIGN_SECRET;
          else process.env.CAMPAIGN_SECRET = secret;
        }
        await checkStored(driver);
      } finally {
        await cleanup();
      }
    }, 120_000);
  });
}
