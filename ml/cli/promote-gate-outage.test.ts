// `ml train --register NAME --promote-if-better` as a real process whose PostgreSQL stops after the
// registration committed and before the gate's promotion (held there by the model row's lock,
// which this test takes). Before: exit 1 with "lost the database connection …; run it again once
// the database answers", never saying the version was there, so following it registered a second
// copy (v2 staging and then v3, 100,000 rows each, on a simulated log of 100,000 customers). Now
// the one line says v2 is registered (staging) and to run `ml promote NAME 2`, which finishes it.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { waitForBackend } from "@pp/shared/testing/backend-activity.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { simulatedTrainArgs } from "../testing/simulated-training.ts";

setDefaultTimeout(600_000);

const root = resolve(import.meta.dirname, "../..");
const CLI = join(root, "ml/cli.ts");
/**
 * Two insert batches of 5,000 (WRITE_BATCH): the registration still runs for 100 ms or more after
 * the poller sees its insert, while the test takes the model row's lock behind it. Its two
 * `ml train` runs are the file's time, and this count drives them (20,000: 32 s in CI).
 */
const CUSTOMERS = 10_000;

const dir = mkdtempSync(join(tmpdir(), "pp-promote-gate-outage-"));
const log = join(dir, "log.csv");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trainArgs = (out: string, promote: string) =>
  simulatedTrainArgs(log, join(dir, out), "gated", promote);

const bin = postgresBinDirOrWarn("ml/cli/promote-gate-outage.test.ts");

describe.skipIf(!bin)("--promote-if-better with PostgreSQL stopped after the commit", () => {
  let pg: ThrowawayPostgres;
  let env: Record<string, string>;

  beforeAll(async () => {
    pg = ThrowawayPostgres.create(bin as string);
    env = { DATABASE_URL: pg.url, ARTIFACT_STORE_URI: `file://${join(dir, "artifacts")}` };
    const simulated = await runBun(
      CLI,
      ["simulate", "--customers", String(CUSTOMERS), "--seed", "5", "--out", log],
      env,
      { cwd: root },
    );
    expect(simulated.status).toBe(0);
    const first = await runBun(CLI, trainArgs("out1", "--promote"), env, {
      cwd: root,
      timeoutMs: 300_000,
    });
    expect(first.status).toBe(0);
  });

  afterAll(() => pg?.destroy());

  const versions = async (handle: DatabaseHandle) =>
    (
      await queryRows<{ version: number; stage: string; rows: number }>(
        handle.db,
        sql`select v.version, v.stage, (select count(*)::int from customer_features f
          where f.model_version_id = v.id) as rows from model_versions v order by v.version`,
      )
    ).map((v) => [v.version, v.stage, Number(v.rows)]);

  test("the line says the version is registered and how to promote it; doing so finishes", async () => {
    const proc = startBun("ml train", CLI, env, {
      cwd: root,
      args: trainArgs("out2", "--promote-if-better"),
    });
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    const holder = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await waitForBackend(admin, `query ilike '%insert into "customer_features"%'`, proc);
      // Granted once the registration commits (it holds the row until then): the gate's promotion
      // then waits for it, after the commit.
      const reserved = await holder.reserve();
      await reserved`begin`;
      await reserved`select id from models where name = 'gated' for update`;
      await waitForBackend(admin, `wait_event_type = 'Lock'`, proc);
    } finally {
      await admin.end({ timeout: 0 });
    }
    pg.stop();
    const code = await exitCodeOf(proc);
    await holder.end({ timeout: 0 });
    pg.start();
    const errors = proc.output.filter((l) => l.startsWith("error") || l.includes("    at "));
    expect(code).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^error: gated v2 is registered \(staging\), but --promote-if-better stopped before deciding \(.+\); do not train again .*run `ml promote gated 2` to make it production$/,
    );
    const handle = await createDatabase({ databaseUrl: pg.url });
    try {
      expect(await versions(handle)).toEqual([
        [1, "production", CUSTOMERS],
        [2, "staging", CUSTOMERS],
      ]);
      const promoted = await runBun(CLI, ["promote", "gated", "2"], env, { cwd: root });
      expect(promoted.status).toBe(0);
      expect(await versions(handle)).toEqual([
        [1, "archived", CUSTOMERS],
        [2, "production", CUSTOMERS],
      ]);
    } finally {
      await handle.close();
    }
  });
});
