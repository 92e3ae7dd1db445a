// `ml simulate --campaign` as real processes on one store (PostgreSQL, and one embedded DATA_DIR):
// two runs of one new campaign at once log one population (the other is refused, exit 2), and a
// run killed -9 at moments spread over it leaves all of its decisions or none; run again, a
// campaign with all of them is refused and one with none is logged whole. Counted in decision_log.
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { count, eq } from "drizzle-orm";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import { killedCli, shortestRunMs } from "../testing/cli-kill.ts";

const ML = resolve(import.meta.dirname, "../../ml/cli.ts");
const { cleanups, tempDir } = cleanupsAfterEach();
const CUSTOMERS = 400;

const simulateArgs = (campaign: string, out: string, seed: number) => [
  "simulate",
  "--campaign",
  campaign,
  "--customers",
  String(CUSTOMERS),
  "--seed",
  String(seed),
  "--control-share",
  "0.3",
  "--out",
  out,
];

/** The decisions logged under `campaign`, read by a client opened for the count (and closed). */
async function logged(open: () => Promise<DatabaseHandle>, campaign: string): Promise<number> {
  const db = await open();
  try {
    const [row] = await db.db
      .select({ n: count() })
      .from(decisionLog)
      .where(eq(decisionLog.campaignId, campaign));
    return Number(row?.n);
  } finally {
    await db.close();
  }
}

/** Each store: the CLI's environment and a way to open it for counting. */
async function stores(): Promise<
  Array<{ name: string; env: Record<string, string>; open: () => Promise<DatabaseHandle> }>
> {
  const pg = await openTestDatabase("postgres");
  cleanups.push(() => pg.cleanup());
  const url = pg.options.databaseUrl as string;
  const dataDir = join(tempDir("pp-sim-processes-"), "data");
  return [
    {
      name: "PostgreSQL",
      env: { DATABASE_URL: url },
      open: () => createDatabase({ databaseUrl: url }),
    },
    { name: "embedded", env: { DATA_DIR: dataDir }, open: () => createDatabase({ dataDir }) },
  ];
}

test("two simulate --campaign runs of one campaign at once, and kill -9 mid-run: all or none, never two populations", async () => {
  for (const store of await stores()) {
    const dir = tempDir("pp-sim-processes-");
    const run = (campaign: string, seed: number) =>
      runBun(ML, simulateArgs(campaign, join(dir, `${campaign}-${seed}.csv`), seed), store.env);
    // Two at once: one logged, the other refused naming the campaign.
    const both = await Promise.all([run("race", 1), run("race", 2)]);
    expect(both.map((r) => r.status).sort()).toEqual([0, 2]);
    expect(both.find((r) => r.status === 2)?.stderr).toContain('campaign "race" already has');
    expect(await logged(store.open, "race")).toBe(CUSTOMERS);

    // Killed at moments spread over a whole run: all of a run's decisions or none.
    const whole = await shortestRunMs(
      2,
      async (i) => `timed-${i}`,
      async (campaign) => expect((await run(campaign, 3)).status).toBe(0),
    );
    const counts = { killed: 0, finished: 0, all: 0, none: 0 };
    for (let i = 0; i < 8; i++) {
      const campaign = `kill-${i}`;
      const args = simulateArgs(campaign, join(dir, `${campaign}.csv`), 4);
      const ended = await killedCli("ml", ML, store.env, args, Bun.sleep(whole * (0.4 + i * 0.15)));
      if (ended === "killed") counts.killed++;
      else {
        expect(ended).toBe(0);
        counts.finished++;
      }
      const n = await logged(store.open, campaign);
      expect([0, CUSTOMERS]).toContain(n);
      counts[n === 0 ? "none" : "all"]++;
      // Run again: refused when it was logged, logged whole when it was not.
      const again = await run(campaign, 4);
      expect(again.status).toBe(n === 0 ? 0 : 2);
      expect(await logged(store.open, campaign)).toBe(CUSTOMERS);
    }
    console.log(`${store.name}: whole run ${Math.round(whole)} ms`, counts);
    expect(counts.killed).toBeGreaterThan(0);
  }
}, 300_000);
