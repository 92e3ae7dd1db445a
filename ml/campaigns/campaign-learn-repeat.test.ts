// `ml campaign learn` run again on the same report: it stored a new, identical policy version each
// time (it compared against the active version, not the latest stored proposal), and once that
// proposal was activated it learned from the same report again with the learned uplift as prior,
// counting the same customers twice (0.2 → 0.915, then 0.918, 0.921, 0.924: a new active version each run). Now a repeat says which version
// already holds what it learned and stores nothing; `--activate` activates that version.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { reportedCampaign as reportedCampaignIn } from "../testing/reported-campaign.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-repeat-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function reportedCampaign(id: string): Promise<void> {
  await ensureActivePolicy(db.handle.db); // default v1 active, email uplift 0.2
  await reportedCampaignIn(db.handle.db, dir, id);
}

async function report(id: string): Promise<void> {
  await runCampaignReport({
    db: db.handle.db,
    campaign: id,
    data: join(dir, `${id}.csv`),
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
}

const learn = async (activate: boolean, campaign = "again") => {
  const printed: string[] = [];
  const r = await runCampaignLearn({
    db: db.handle.db,
    campaign,
    activate,
    print: (l) => printed.push(l),
  });
  return { r, printed };
};
const versions = async () =>
  (await new PolicyStore(db.handle.db).list("default")).map((v) => [v.version, v.active]);

test("learn twice stores one version; --activate then activates it; a third learn adds nothing", async () => {
  await reportedCampaign("again");
  const first = await learn(false);
  expect(first.r).toMatchObject({ version: 2, activated: false, changed: true });
  const email = first.r.learned[0]?.overall.posterior.toFixed(3);

  const second = await learn(false);
  expect(second.printed).toContain(
    "default v2 already holds these uplifts, learned from this report: nothing stored (activate with --activate, or POST /admin/policies/default/versions/2/activate)",
  );
  expect(second.r).toMatchObject({ version: 2, activated: false, changed: false });
  expect(await versions()).toEqual([
    [2, false],
    [1, true],
  ]);

  const third = await learn(true);
  expect(third.printed).toContain(
    "default v2 already holds these uplifts, learned from this report: nothing stored",
  );
  expect(third.printed).toContain("activated default v2");
  expect(third.r).toMatchObject({ version: 2, activated: true });

  // v2 active: learning from the same report again would count its customers twice.
  const fourth = await learn(true);
  expect(fourth.printed.join("\n")).toContain(
    "default v2 (active) already learned from this report",
  );
  expect(fourth.r).toMatchObject({ version: 2, activated: false, changed: false });
  // No "email: uplift 0.915 → 0.918" line: that change is not made.
  expect(fourth.printed.some((l) => l.includes("email: uplift"))).toBe(false);
  expect(await versions()).toEqual([
    [2, true],
    [1, false],
  ]);

  // Another report of the same campaign (the same customers) counts them twice just the same.
  await Bun.sleep(5);
  await report("again");
  const fifth = await learn(true);
  expect(fifth.printed.join("\n")).toMatch(
    /default v2 \(active\) already learned from another report of campaign "again" \(window to 1997-12-31, reported at [^)]+\): learning from this one too would count its customers twice; nothing stored, nothing activated \(to learn from this report instead, activate the version v2 was learned from and learn again\)/,
  );
  expect(await versions()).toEqual([
    [2, true],
    [1, false],
  ]);
  const active = await new PolicyStore(db.handle.db).getActive();
  const definition = active?.definition as { uplifts: Record<string, { uplift: number }> };
  expect(definition.uplifts.email?.uplift.toFixed(3)).toBe(email as string);
});

// A policy learned from campaign A, then from campaign B on top, named only B in its uplifts'
// sources: learning from A again took B's uplifts (which hold A's) as the prior and counted A's
// customers twice (spring-97, autumn-97, then spring-97 again: v4 proposed). The sources now list
// the reports the prior had learned from.
test("a campaign learned before another is not learned again on top of it", async () => {
  // After the test above: default v2, learned from "again", is active.
  await reportedCampaign("later");
  const other = await learn(true, "later");
  expect(other.r).toMatchObject({ version: 3, activated: true, changed: true });
  const again = await learn(true);
  expect(again.r).toMatchObject({ version: 3, activated: false, changed: false });
  expect(again.printed.join("\n")).toContain(
    'default v3 (active) already learned from another report of campaign "again"',
  );
  expect(await versions()).toEqual([
    [3, true],
    [2, false],
    [1, false],
  ]);
  const active = await new PolicyStore(db.handle.db).getActive();
  const uplifts = (
    active?.definition as
      | { uplifts: Record<string, { source: string; learned_from: unknown[] }> }
      | undefined
  )?.uplifts;
  expect(uplifts?.email?.source).toMatch(
    /^campaign later \(window to 1997-12-31, reported at [^)]+\); empirical Bayes: .*; learned before from 1 other report\(s\), listed in learned_from$/,
  );
  expect(uplifts?.email?.learned_from).toEqual([
    { campaign: "later", window_end: "1997-12-31", reported_at: expect.any(String) },
    { campaign: "again", window_end: "1997-12-31", reported_at: expect.any(String) },
  ]);
});
