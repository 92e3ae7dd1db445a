// kill -9 of `ml campaign report --campaign ID --data CSV --out DIR` while it saves a new
// measurement over an earlier one of the same window, with real processes: after each kill the
// stored result is the earlier one (old) or the new one whole (new), never a part and never two
// rows; campaign.json is absent or whole; the command run again stores and writes the new one,
// and the decision service on the store still decides. On PostgreSQL the CLI is also killed while
// a trigger holds its upsert; on the embedded store (hosted by the service, the CLI its client)
// at moments spread over its run.
import { expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureActivePolicy } from "@pp/ml/campaigns/active-policy.ts";
import { runCampaignReport } from "@pp/ml/campaigns/campaign-report.ts";
import { decidedCampaign } from "@pp/ml/testing/reported-campaign.ts";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { campaignResults } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { eq } from "drizzle-orm";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import {
  type KillRound,
  killedCli,
  killRounds,
  shortestRunMs,
  spreadOver,
} from "../testing/cli-kill.ts";
import {
  decide,
  decisionReadyOnFreePort,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import {
  type KillSetup,
  pausablePostgres,
  seededStore,
  storeClient,
} from "../testing/kill-stores.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const { cleanups, tempDir } = cleanupsAfterEach();
const forecast = forecastStubAroundTests();
const WINDOW_END = "1997-12-31";

type Setup = KillSetup & { dir: string };

/** A campaign's files: all its purchases, the first half of them, and the report's --out. */
interface Campaign {
  id: string;
  csv: string;
  half: string;
  out: string;
}

const reportArgs = (c: Campaign, data: string) =>
  ["campaign", "report", "--campaign", c.id, "--data", data, "--window-end", WINDOW_END].concat([
    "--out",
    c.out,
  ]);

/** `ml ARGS` to its end, which must be a success. */
async function report(env: Record<string, string>, c: Campaign, data: string): Promise<void> {
  const run = await runBun(ML, reportArgs(c, data), env, { timeoutMs: 60_000 });
  expect({ status: run.status, err: run.stderr }).toEqual({ status: 0, err: "" });
}

/**
 * Campaign `id` decided, and measured once on half its purchases (the result a kill may keep), in
 * this process: a CLI's start-up per round is spent on the runs killed.
 */
async function decided({ db, dir }: Setup, id: string): Promise<Campaign> {
  // The policy its decisions name is stored (its profit model is part of the result).
  await ensureActivePolicy(db.db);
  const csv = await decidedCampaign(db.db, dir, id);
  const [header, ...lines] = readFileSync(csv, "utf8").trimEnd().split("\n");
  const half = join(dir, `${id}-half.csv`);
  writeFileSync(half, `${[header, ...lines.slice(0, lines.length / 2)].join("\n")}\n`);
  const c = { id, csv, half, out: join(dir, `${id}-out`) };
  const where = { campaign: id, data: half, format: "csv" as const, windowEnd: WINDOW_END };
  await runCampaignReport({ db: db.db, ...where, out: c.out, print: () => {} });
  return c;
}

/** The stored results of campaign `id` (one row per window), as saved. */
async function storedResults(db: DatabaseHandle, id: string): Promise<unknown[]> {
  const rows = await db.db
    .select({ result: campaignResults.result })
    .from(campaignResults)
    .where(eq(campaignResults.campaignId, id));
  return rows.map((r) => r.result);
}

const writtenJson = (c: Campaign): unknown =>
  JSON.parse(readFileSync(join(c.out, "campaign.json"), "utf8"));

/**
 * Each round: a campaign measured on half its purchases (old), then measured on all of them
 * (new) and killed; what it left is old or new, whole; run again, new is stored and written.
 */
function reportRound(setup: Setup, first = 0): KillRound {
  const { db, env, service } = setup;
  const campaigns: Campaign[] = [];
  const old: unknown[] = [];
  return {
    async run(i, at) {
      const c = await decided(setup, `report-kill-${first + i}`);
      campaigns[i] = c;
      old[i] = writtenJson(c);
      expect(await storedResults(db, c.id)).toEqual([old[i]]);
      return killedCli("ml", ML, env, reportArgs(c, c.csv), at());
    },
    async left(i) {
      const c = campaigns[i] as Campaign;
      const kept = await storedResults(db, c.id);
      expect(kept).toHaveLength(1);
      // The json is written after the row: it is the old one, or the new one whole.
      const json = existsSync(join(c.out, "campaign.json")) ? writtenJson(c) : null;
      expect((await decide(service.base)).status).toBe(200);
      await report(env, c, c.csv);
      const fresh = writtenJson(c);
      expect(fresh).not.toEqual(old[i]);
      expect(await storedResults(db, c.id)).toEqual([fresh]);
      expect([old[i], fresh]).toContainEqual(kept[0]);
      expect([old[i], fresh]).toContainEqual(json);
      return JSON.stringify(kept[0]) === JSON.stringify(fresh) ? "new" : "old";
    },
  };
}

/** How long a whole report on all the purchases takes here now: the shorter of two. */
function wholeRunMs(setup: Setup): Promise<number> {
  return shortestRunMs(
    2,
    (i) => decided(setup, `whole-${i + 1}`),
    (c) => report(setup.env, c, c.csv),
  );
}

test("PostgreSQL: campaign report killed in its upsert and over its run: old or new, whole", async () => {
  const { pg, env, pause } = await pausablePostgres(cleanups, {
    table: "campaign_results",
    statement: "insert",
    sleeping: true,
  });
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  const setup = { db: pg.handle, service, env, dir: tempDir("pp-report-kill-") };
  const held = await killRounds(reportRound(setup), 2, pause.plan(["insert"]));
  // Held in the upsert, one autocommitted statement: its backend finishes it after the client is
  // gone, then commits or not by whether it reads the pipelined Sync before the closed socket (seen
  // both ways); either way the row is whole (checked in left()).
  expect(held.kills).toBe(2);
  expect((held.old ?? 0) + (held.new ?? 0)).toBe(2);
  const ms = await wholeRunMs(setup);
  const timed = await killRounds(
    reportRound(setup, 10),
    3,
    spreadOver(ms, 0.6, 0.2, () => pause.settled()),
  );
  console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, held, "timed:", timed);
}, 120_000);

test("embedded store hosted by the service: campaign report killed over its run: old or new, whole", async () => {
  const dir = tempDir("pp-report-kill-embedded-");
  const dataDir = join(dir, "store");
  await seededStore(dataDir, async () => {});
  const env = { DATABASE_URL: "", DATA_DIR: dataDir, DECISION_DATA_DIR: dataDir };
  const { service } = await decisionReadyOnFreePort({ ...env, FORECAST_URL: forecast.url });
  cleanups.push(() => (service.exited() ? undefined : killHard(service)));
  const setup = { db: await storeClient(cleanups, dataDir), service, env, dir };
  const ms = await wholeRunMs(setup);
  // Past 3 rounds only while no kill landed (a run faster than timed): at most 6 in all.
  const counts = await killRounds(reportRound(setup), 3, spreadOver(ms, 0.6, 0.2), undefined, {
    kills: 1,
    rounds: 6,
  });
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect(counts.kills).toBeGreaterThan(0);
}, 120_000);
