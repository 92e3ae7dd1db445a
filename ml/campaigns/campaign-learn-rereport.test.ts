// `ml campaign learn` after the same window was reported again (same data, a later run): the
// version proposed from the first run already holds what the second teaches. It stored another
// identical version, told apart only by the report's time (walk: v3 proposed, report re-run,
// `learn --activate` stored and activated v4 with v3's uplifts, from the same prior v2).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { reportedCampaign } from "../testing/reported-campaign.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";
import { runCampaignReport } from "./campaign-report.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await openTestDatabase("postgres");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-rereport-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const learn = async (activate: boolean) => {
  const printed: string[] = [];
  const r = await runCampaignLearn({
    db: db.handle.db,
    campaign: "rr",
    activate,
    print: (l) => printed.push(l),
  });
  return { r, printed };
};

test("a re-run report of the same window: the version learned from the first run is named and activated", async () => {
  await ensureActivePolicy(db.handle.db); // default v1
  await reportedCampaign(db.handle.db, dir, "rr");
  expect((await learn(false)).r).toMatchObject({ version: 2, changed: true });
  await Bun.sleep(5); // a later report run of the same window, same purchases
  await runCampaignReport({
    db: db.handle.db,
    campaign: "rr",
    data: join(dir, "rr.csv"),
    format: "csv",
    windowEnd: "1997-12-31",
    print: () => {},
  });
  const again = await learn(true);
  expect(again.printed).toContain(
    "default v2 already holds these uplifts, learned from this report: nothing stored",
  );
  expect(again.printed).toContain("activated default v2");
  expect(again.r).toMatchObject({ version: 2, activated: true, changed: false });
  const versions = (await new PolicyStore(db.handle.db).list("default")).map((v) => [
    v.version,
    v.active,
  ]);
  expect(versions).toEqual([
    [2, true],
    [1, false],
  ]);
});
