// kill -9 of `ml simulate --campaign` at several points of its run (real processes, real
// PostgreSQL): a campaign's decisions are in decision_log completely or not at all, never a part
// (a report over a part would compare arbitrary subsets of the groups).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { queryRows } from "@pp/shared/db/database.ts";
import { decisionLog } from "@pp/shared/db/schema.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { count, eq, sql } from "drizzle-orm";

const root = resolve(import.meta.dir, "../..");
const CUSTOMERS = 20_000;
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-crash-"));
});
afterAll(async () => {
  await db.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the simulation; with `killAfterMs` sends SIGKILL then. Resolves to the elapsed ms. */
function simulate(
  campaign: string,
  killAfterMs?: number,
  onStart?: (kill: () => void) => void,
): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "ml/cli.ts",
      "simulate",
      "--campaign",
      campaign,
      "--customers",
      String(CUSTOMERS),
      "--out",
      join(dir, `${campaign}.csv`),
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: db.options.databaseUrl }, stdio: "ignore" },
  );
  const timer =
    killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  onStart?.(() => child.kill("SIGKILL"));
  return new Promise((done) => {
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ ms: performance.now() - started, code });
    });
  });
}

async function rowsOf(campaign: string): Promise<number> {
  const [r] = await db.handle.db
    .select({ n: count() })
    .from(decisionLog)
    .where(eq(decisionLog.campaignId, campaign));
  return Number(r?.n ?? 0);
}

test("after kill -9 a campaign's decisions are all there or none", async () => {
  const full = await simulate("whole");
  expect(full.code).toBe(0);
  expect(await rowsOf("whole")).toBe(CUSTOMERS);
  const outcomes: string[] = [];
  for (const fraction of [0.3, 0.6, 0.75, 0.85, 0.9, 0.95]) {
    const campaign = `killed-${Math.round(fraction * 100)}`;
    const run = await simulate(campaign, Math.round(full.ms * fraction));
    const rows = await rowsOf(campaign);
    outcomes.push(`${fraction}: exit ${run.code ?? "killed"}, ${rows} rows`);
    expect([0, CUSTOMERS]).toContain(rows);
  }
  // Killed while its INSERT transaction is open (seen in pg_stat_activity): nothing committed.
  let caught = false;
  let exited = false;
  const run = simulate("mid-insert", undefined, (kill) => {
    void (async () => {
      // Bounded in time (the child exits by itself well within it) and in count.
      const until = performance.now() + 60_000;
      for (let i = 0; i < 100_000 && !caught && !exited && performance.now() < until; i++) {
        const [busy] = await queryRows<{ n: number }>(
          db.handle.db,
          sql`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and query ilike '%insert into%decision_log%'
            and state in ('active', 'idle in transaction')`,
        );
        const n = Number(busy?.n ?? 0);
        if (n > 0) {
          caught = true;
          kill();
        } else await new Promise((r) => setTimeout(r, 5));
      }
    })();
  });
  const killed = await run;
  exited = true;
  outcomes.push(
    `mid-insert: exit ${killed.code ?? "killed"}, caught ${caught}, ${await rowsOf("mid-insert")} rows`,
  );
  expect(caught).toBe(true);
  expect(await rowsOf("mid-insert")).toBe(0);
  console.log(`full run ${full.ms.toFixed(0)} ms; ${outcomes.join("; ")}`);
}, 120_000);
