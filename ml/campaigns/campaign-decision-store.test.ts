// `ml simulate --campaign` and `ml campaign report|learn` when the decision service keeps its
// embedded database apart (DECISION_DATA_DIR, a documented setting): the campaign's decisions,
// pinned shares, results and policies live where the decision service writes and reads them.
// The commands opened DATA_DIR's store only: a simulated campaign's decisions never reached the
// decision service, and a report found none of the decisions it had logged.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import { campaignResults, decisionLog, policies } from "@pp/shared/db/schema.ts";
import { runBun } from "@pp/shared/testing/processes.ts";

const root = resolve(import.meta.dirname, "../..");
let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "pp-campaign-store-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Rows of decision_log, campaign_results and policies in the embedded store at `dataDir`. */
async function counts(dataDir: string) {
  const handle = await createDatabase({ dataDir });
  try {
    await handle.migrate();
    return {
      decisions: (await handle.db.select().from(decisionLog)).length,
      results: (await handle.db.select().from(campaignResults)).length,
      policies: (await handle.db.select().from(policies)).length,
    };
  } finally {
    await handle.close();
  }
}

test("simulate --campaign, campaign report and learn use DECISION_DATA_DIR's store", async () => {
  const dataDir = join(work, "data");
  const decisionDir = join(work, "decisions");
  const env = { DATA_DIR: dataDir, DECISION_DATA_DIR: decisionDir, DATABASE_URL: "" };
  const cli = join(root, "ml/cli.ts");
  const csv = join(work, "tx.csv");
  const sim = await runBun(
    cli,
    ["simulate", "--campaign", "c1", "--customers", "400", "--out", csv],
    env,
  );
  expect(sim.stderr).toBe("");
  expect(sim.status).toBe(0);
  const report = await runBun(cli, ["campaign", "report", "--campaign", "c1", "--data", csv], env);
  expect(report.stderr).toBe("");
  expect(report.status).toBe(0);
  const learn = await runBun(cli, ["campaign", "learn", "--campaign", "c1"], env);
  expect(learn.status).toBe(0);
  const there = await counts(decisionDir);
  expect(there.decisions).toBe(400);
  expect(there.results).toBe(1);
  expect(there.policies).toBeGreaterThanOrEqual(2); // the active one and the proposed next
  expect(await counts(dataDir)).toEqual({ decisions: 0, results: 0, policies: 0 });
}, 180_000);
