// The reports a learned uplift came from, as `ml campaign learn` checks them before learning again
// (a report learned twice counts its customers twice). They were parsed back out of the uplift's
// free-text `source` ("campaign X (…); empirical Bayes…; learned before from: A | B"), at most
// 1,000 characters: a campaign id holding " | " was split in two, a lineage past the length limit
// lost its oldest reports, an id near the limit could not be stored at all, and a source edited
// by hand named reports no more. Each case below learned the first campaign a second time.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { reportedCampaign as reportedCampaignIn } from "../testing/reported-campaign.ts";
import { ensureActivePolicy } from "./active-policy.ts";
import { runCampaignLearn } from "./campaign-learn.ts";

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-learn-lineage-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh store for each test: default v1 active (email uplift 0.2). */
async function freshStore(): Promise<void> {
  await db?.cleanup();
  db = await openTestDatabase("pglite");
  await ensureActivePolicy(db.handle.db);
}
afterAll(async () => db?.cleanup());

/** A reported campaign of 40 customers for "email"; its customers' ids from a cut of `id`. */
const reportedCampaign = (id: string) =>
  reportedCampaignIn(
    db.handle.db,
    dir,
    id,
    id.replace(/[^A-Za-z0-9]/g, "").slice(0, 24) + id.length,
  );

const learn = async (campaign: string) => {
  const printed: string[] = [];
  const r = await runCampaignLearn({
    db: db.handle.db,
    campaign,
    activate: true,
    print: (l) => printed.push(l),
  });
  return { r, printed: printed.join("\n") };
};

/** Learns `first`, then each of `between` on top, then `first` again: what that last learn did. */
async function learnAgainAfter(first: string, between: readonly string[]) {
  for (const id of [first, ...between]) {
    await reportedCampaign(id);
    expect((await learn(id)).r).toMatchObject({ activated: true, changed: true });
  }
  return learn(first);
}

/** What learn says when it refuses a report already learned (this very report run). */
const refusedAgain = (first: string) =>
  expect.stringContaining(`already learned from this report (campaign ${first} (window to`);

test('a campaign id holding " | " is recognised after another campaign is learned on top', async () => {
  await freshStore();
  const again = await learnAgainAfter("spring | 97", ["autumn-97"]);
  expect(again.r).toMatchObject({ version: 3, changed: false, activated: false });
  expect(again.printed).toEqual(refusedAgain("spring | 97"));
}, 60_000);

test("a lineage past the source's 1,000 characters still names its oldest report", async () => {
  await freshStore();
  // 128 characters: the longest id a campaign may have now; three such reports fill the source
  // after its own, so the fifth campaign's uplift named the second to the fourth only.
  const id = (n: number) => `c${n}-${"x".repeat(125)}`;
  const again = await learnAgainAfter(id(1), [id(2), id(3), id(4), id(5)]);
  expect(again.r).toMatchObject({ version: 6, changed: false, activated: false });
  expect(again.printed).toEqual(refusedAgain(id(1)));
}, 120_000);

test("a campaign id too long for the source text is still learned (stored ids run to 4,096)", async () => {
  await freshStore();
  const long = `old-${"y".repeat(996)}`;
  await reportedCampaign(long);
  expect((await learn(long)).r).toMatchObject({ version: 2, activated: true, changed: true });
  expect((await learn(long)).printed).toContain("already learned from this report");
}, 60_000);

test("a source edited by hand does not lose the reports the uplift was learned from", async () => {
  await freshStore();
  await reportedCampaign("spring-97");
  await learn("spring-97");
  await reportedCampaign("autumn-97");
  await learn("autumn-97");
  // An admin notes who reviewed the figure, in a copy of the active version: "campaign …" no
  // longer starts the source, and no report of it was recognised.
  const store = new PolicyStore(db.handle.db);
  const active = await store.getActive();
  const definition = structuredClone(active?.definition) as {
    uplifts: Record<string, { source: string }>;
  };
  const email = definition.uplifts.email as { source: string };
  email.source = `Reviewed by Ana: ${email.source}`;
  const copy = await store.add("default", definition);
  await store.activate("default", copy.version);
  const again = await learn("spring-97");
  expect(again.r).toMatchObject({ changed: false, activated: false });
  expect(again.printed).toEqual(refusedAgain("spring-97"));
}, 60_000);

// Policies learned before `learned_from` name their reports in `source` only: they keep their
// re-learn protection (read from the text, for them alone), and the next learn carries those
// reports into learned_from.
test("a policy stored before learned_from keeps its lineage, read from its source", async () => {
  await freshStore();
  await reportedCampaign("spring-97");
  const spring = await learn("spring-97");
  const store = new PolicyStore(db.handle.db);
  const learned = (await store.getActive())?.definition as {
    uplifts: Record<
      string,
      { source: string; learned_from?: Array<{ campaign: string; reported_at: string }> }
    >;
  };
  const email = learned.uplifts.email as (typeof learned.uplifts)[string];
  const at = email.learned_from?.[0]?.reported_at;
  // As learn wrote it before: the report in the source text, no learned_from.
  email.source = `campaign spring-97 (window to 1997-12-31, reported at ${at}); empirical Bayes: …`;
  delete email.learned_from;
  const old = await store.add("default", learned);
  await store.activate("default", old.version);
  expect((await learn("spring-97")).printed).toEqual(refusedAgain("spring-97"));
  await reportedCampaign("autumn-97");
  const autumn = await learn("autumn-97");
  expect(autumn.r).toMatchObject({ changed: true, version: spring.r.version + 2 });
  const active = (await store.getActive())?.definition as typeof learned;
  expect(active.uplifts.email?.learned_from?.map((r) => r.campaign)).toEqual([
    "autumn-97",
    "spring-97",
  ]);
  expect((await learn("spring-97")).printed).toEqual(refusedAgain("spring-97"));
}, 60_000);
