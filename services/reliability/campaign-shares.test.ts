// A campaign's control share with real processes (campaign_shares, pinned at its first
// decision): two decision services on one PostgreSQL race each campaign's first batch at
// different shares, one of them is killed with SIGKILL mid-load and restarted, and the database
// is stopped and started under campaign load. Counted after: one share per campaign, every
// answer at it, no customer in both groups, every decision answered 200 in decision_log.
import { describe, expect, test } from "bun:test";
import { queryRows } from "@pp/shared/db/database.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import {
  forecastStubAroundTests,
  killHard,
  missingDecisionIds,
  postDecision,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import { batchBody } from "../testing/keyed-batch-clients.ts";

const CAMPAIGNS = 6;
const CUSTOMERS = 120;
const SECRET = { CAMPAIGN_SECRET: "campaign-crash-secret-0123456789" };

interface CampaignBatch {
  campaign: { control_share: number; control: Array<{ decision_id: string }> };
  selected: Array<{ decision_id: string }>;
}

/** A batch of the campaign's CUSTOMERS customers (`campaign-0..`), as batchBody makes one. */
const campaignBody = (campaign: string, share?: number) =>
  JSON.stringify({
    ...JSON.parse(batchBody(campaign, CUSTOMERS, 20)),
    campaign,
    ...(share === undefined ? {} : { control_share: share }),
  });

/** Campaign batches sent in a loop to whichever services are listed, keeping every 200. */
function campaignLoad(bases: () => string[], campaigns: string[]) {
  let running = true;
  const answers: CampaignBatch[] = [];
  const statuses = new Map<number, number>();
  const loops = Array.from({ length: 6 }, async (_, c) => {
    for (let i = 0; running; i++) {
      const targets = bases();
      const base = targets[i % targets.length] as string;
      const campaign = campaigns[(c + i) % campaigns.length] as string;
      let status = 0;
      try {
        const res = await postDecision(`${base}/decision/batch`, campaignBody(campaign));
        status = res.status;
        if (status === 200) answers.push((await res.json()) as CampaignBatch);
        else await res.text();
        if (status === 503) await Bun.sleep(10); // refused at once while the database is down
      } catch {
        status = 0; // connection refused or closed (the service was killed)
        await Bun.sleep(20);
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    answers,
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const answeredIds = (answers: CampaignBatch[]) =>
  answers.flatMap((a) => [...a.selected, ...a.campaign.control].map((d) => d.decision_id));

/** Per campaign: its pinned share, and customers logged in both groups (must be none). */
async function campaignState(db: TestDatabase["handle"]["db"]) {
  const shares = await queryRows<{ campaign_id: string; control_share: number }>(
    db,
    sql`select campaign_id, control_share from campaign_shares order by campaign_id`,
  );
  const [both] = await queryRows<{ n: string }>(
    db,
    sql`select count(*)::text as n from (select campaign_id, customer_id from decision_log
        where campaign_id is not null group by 1, 2
        having count(distinct assignment_group) > 1) moved`,
  );
  return { shares: new Map(shares.map((s) => [s.campaign_id, s.control_share])), moved: both?.n };
}

const forecast = forecastStubAroundTests();

describe("two services on one PostgreSQL, one killed with SIGKILL mid-load", () => {
  test("each campaign keeps one share; no customer changes group; 0 answered decisions missing", async () => {
    const db = await openTestDatabase("postgres");
    const env = { DATABASE_URL: db.options.databaseUrl as string, ...SECRET };
    const a = await startDecision(forecast.url, env);
    let b = await startDecision(forecast.url, env);
    try {
      const campaigns = Array.from({ length: CAMPAIGNS }, (_, k) => `race-${k}`);
      // Each campaign's first batch, at once on both services with different shares.
      const firsts = await Promise.all(
        campaigns.flatMap((c) => [
          postDecision(`${a.base}/decision/batch`, campaignBody(c, 0.2)),
          postDecision(`${b.base}/decision/batch`, campaignBody(c, 0.5)),
        ]),
      );
      const firstStatuses = firsts.map((r) => r.status);
      const first = await Promise.all(firsts.map((r) => r.json() as Promise<CampaignBatch>));
      for (let k = 0; k < CAMPAIGNS; k++) {
        // One of each pair pinned its share; the other was refused (409), never decided at its own.
        expect(firstStatuses.slice(2 * k, 2 * k + 2).sort()).toEqual([200, 409]);
      }
      const answered = first.filter((_, i) => firstStatuses[i] === 200);

      let alive = [a.base, b.base];
      const load = campaignLoad(() => alive, campaigns);
      const until = Date.now() + 20_000;
      while (load.answers.length < 40 && Date.now() < until) await Bun.sleep(20);
      await killHard(b); // mid-load, batches in flight
      alive = [a.base];
      await Bun.sleep(500);
      b = await startDecision(forecast.url, env);
      alive = [a.base, b.base];
      const more = load.answers.length + 30;
      while (load.answers.length < more && Date.now() < until + 20_000) await Bun.sleep(20);
      await load.stop();
      answered.push(...load.answers);
      console.log(`campaign batches: ${answered.length} answered 200, statuses`, [
        ...load.statuses,
      ]);
      expect(load.statuses.get(500) ?? 0).toBe(0);
      expect(load.statuses.get(409) ?? 0).toBe(0); // the pinned share was never at odds

      const state = await campaignState(db.handle.db);
      expect(state.shares.size).toBe(CAMPAIGNS);
      for (const answer of answered) {
        const campaign = (answer.campaign as unknown as { id: string }).id;
        expect(answer.campaign.control_share).toBe(state.shares.get(campaign) as number);
      }
      expect(state.moved).toBe("0");
      const missing = await missingDecisionIds(
        { databaseUrl: db.options.databaseUrl as string },
        answeredIds(answered),
      );
      expect(missing).toEqual([]);
    } finally {
      await stopGracefully(a);
      await stopGracefully(b);
      await db.cleanup();
    }
  }, 150_000);
});

const bin = postgresBinDirOrWarn("the campaign share outage test");

describe.skipIf(!bin)("PostgreSQL stopped and started under campaign load", () => {
  test("503 while down, never 500; the pinned share holds after; a campaign first asked while down pins once up", async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    const service = await startDecision(forecast.url, { DATABASE_URL: pg.url, ...SECRET });
    try {
      const pinned = await postDecision(`${service.base}/decision/batch`, campaignBody("up", 0.3));
      expect(pinned.status).toBe(200);
      const answered = [(await pinned.json()) as CampaignBatch];
      const load = campaignLoad(() => [service.base], ["up"]);
      while (load.answers.length < 20) await Bun.sleep(20);
      pg.stop();
      await Bun.sleep(1500);
      const whileDown = await postDecision(
        `${service.base}/decision/batch`,
        campaignBody("new-while-down", 0.4),
      );
      expect(whileDown.status).toBe(503);
      await Bun.sleep(1500);
      pg.start();
      const atStart = load.answers.length;
      const until = Date.now() + 30_000;
      while (load.answers.length < atStart + 20 && Date.now() < until) await Bun.sleep(50);
      await load.stop();
      answered.push(...load.answers);
      console.log(`outage: ${answered.length} campaign batches answered 200, statuses`, [
        ...load.statuses,
      ]);
      expect(load.statuses.get(500) ?? 0).toBe(0);
      expect(load.statuses.get(503) ?? 0).toBeGreaterThan(0);
      expect(load.answers.length).toBeGreaterThanOrEqual(atStart + 20); // answered again
      // The share asked while the database was down is pinned by its first decision once up.
      const later = await postDecision(
        `${service.base}/decision/batch`,
        campaignBody("new-while-down", 0.4),
      );
      expect(later.status).toBe(200);
      expect(((await later.json()) as CampaignBatch).campaign.control_share).toBe(0.4);
      for (const answer of answered) expect(answer.campaign.control_share).toBe(0.3);
      const missing = await missingDecisionIds({ databaseUrl: pg.url }, answeredIds(answered));
      expect(missing).toEqual([]);
    } finally {
      expect(await stopGracefully(service)).toBe(0);
      pg.destroy();
    }
  }, 150_000);
});
