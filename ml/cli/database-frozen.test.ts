// `ml` as a real process against a throwaway PostgreSQL frozen (SIGSTOP of the postmaster and its
// backends) in the middle of a command: connections stay open and nothing answers, as when the
// database host hangs. postgres.js has no query timeout, so `ml train --register` frozen while
// inserting a version's customer features waited for as long as the server did (still waiting
// after 90 s; it finished when the server resumed), and so did `ml score` mid-COPY and `ml forget`
// mid-chunk. Now each exits 1 within seconds of ML_DATABASE_TIMEOUT_SECONDS with one line naming
// DATABASE_URL and what to do; after the thaw nothing half-written is visible, nothing stored is
// lost, and the same command run again stores the rows an undisturbed run stored. Last, the same
// counts for `ml train --register` with PostgreSQL stopped and with its backend terminated
// mid-insert (both already exited 1 at once; kept as guards).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { waitForBackend } from "@pp/shared/testing/backend-activity.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { exitCodeOf, type Proc, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { simulatedTrainArgs } from "../testing/simulated-training.ts";

setDefaultTimeout(600_000);

const root = resolve(import.meta.dirname, "../..");
const CLI = join(root, "ml/cli.ts");
/**
 * Two insert batches of 5,000 (WRITE_BATCH) per registration, and a COPY of as many scores: each
 * statement runs for 100 ms or more, time enough for the 5 ms poller to see it and freeze it there.
 * The file's time is its seven `ml train` runs, which this count drives (20,000: 93 s in CI).
 */
const CUSTOMERS = 10_000;
const DECISIONS = 2_000;
const TIMEOUT_SECONDS = 3;
/** The command must have given up by then (timeout + a probe interval + exit), else it hangs. */
const GIVE_UP_WITHIN_MS = 25_000;

const dir = mkdtempSync(join(tmpdir(), "pp-database-frozen-"));
const log = join(dir, "log.csv");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trainArgs = (out: string) => simulatedTrainArgs(log, join(dir, out), "big", "--promote");

interface Stored {
  versions: [number, string][];
  /** Per version: rows and an md5 of every (customer_id, summary, features), in id order. */
  features: Record<number, { rows: number; md5: string }>;
  decisions: number;
}

async function stored(handle: DatabaseHandle): Promise<Stored> {
  const versions = await queryRows<{ version: number; stage: string }>(
    handle.db,
    sql`select version, stage from model_versions order by version`,
  );
  const features = await queryRows<{ version: number; rows: number; md5: string }>(
    handle.db,
    sql`select v.version, count(*)::int as rows,
          md5(string_agg(f.customer_id || f.summary::text || f.features::text, '|' order by f.customer_id)) as md5
        from customer_features f join model_versions v on v.id = f.model_version_id group by 1`,
  );
  const [decisions] = await queryRows<{ n: number }>(
    handle.db,
    sql`select count(*)::int as n from decision_log`,
  );
  return {
    versions: versions.map((v) => [v.version, v.stage]),
    features: Object.fromEntries(
      features.map((f) => [f.version, { rows: Number(f.rows), md5: f.md5 }]),
    ),
    decisions: Number(decisions?.n),
  };
}

/** Waits until a backend of `pg` runs (or waits in) a statement like `pattern`. */
async function waitForStatement(url: string, pattern: string, proc: Proc): Promise<void> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await waitForBackend(admin, `query ilike '${pattern.replaceAll("'", "''")}'`, proc);
  } finally {
    await admin.end();
  }
}

/** Freezes the cluster once `pattern` runs; returns the exit code, seconds to give up, stderr. */
async function frozenDuring(
  pg: ThrowawayPostgres,
  proc: Proc,
  pattern: string,
): Promise<{ code: number | null; seconds: number; errors: string[] }> {
  await waitForStatement(pg.url, pattern, proc);
  pg.freeze();
  const frozenAt = performance.now();
  try {
    const code = await Promise.race([
      exitCodeOf(proc),
      Bun.sleep(GIVE_UP_WITHIN_MS).then(() => -1),
    ]);
    const seconds = (performance.now() - frozenAt) / 1000;
    if (code === -1) proc.child.kill("SIGKILL");
    return {
      code,
      seconds,
      errors: proc.output.filter((l) => l.startsWith("error") || l.includes("    at ")),
    };
  } finally {
    pg.thaw();
  }
}

const expectOneLine = (errors: string[]) => {
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(
    /^error: the database at DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres has not answered for \d+ s .*run it again once the database answers$/,
  );
};

const bin = postgresBinDirOrWarn("ml/cli/database-frozen.test.ts");

describe.skipIf(!bin)("ml commands against a frozen PostgreSQL", () => {
  let pg: ThrowawayPostgres;
  let handle: DatabaseHandle;
  let env: Record<string, string>;
  let undisturbed: { rows: number; md5: string };

  beforeAll(async () => {
    pg = ThrowawayPostgres.create(bin as string);
    env = {
      DATABASE_URL: pg.url,
      ARTIFACT_STORE_URI: `file://${join(dir, "artifacts")}`,
      ML_DATABASE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
    };
    const simulated = await runBun(
      CLI,
      ["simulate", "--customers", String(CUSTOMERS), "--seed", "3", "--out", log],
      env,
      { cwd: root },
    );
    expect(simulated.status).toBe(0);
    // An undisturbed registration (v1, production) and decisions already in the log.
    const first = await runBun(CLI, trainArgs("out1"), env, { cwd: root, timeoutMs: 300_000 });
    expect(first.stderr.split("\n").filter((l) => l.startsWith("error"))).toEqual([]);
    expect(first.status).toBe(0);
    handle = await createDatabase({ databaseUrl: pg.url });
    await new DecisionLogRepository(handle.db).insertMany(
      Array.from({ length: DECISIONS }, (_, i) => decisionRow(String(i + 1))),
    );
    const before = await stored(handle);
    expect(before.versions).toEqual([[1, "production"]]);
    undisturbed = before.features[1] as { rows: number; md5: string };
    expect(undisturbed.rows).toBe(CUSTOMERS);
  });

  afterAll(async () => {
    await handle?.close();
    pg?.destroy();
  });

  test("train --register frozen mid-insert: exit 1 in seconds, nothing half-written; a rerun registers the same rows", async () => {
    const proc = startBun("ml train", CLI, env, { cwd: root, args: trainArgs("out2") });
    const { code, seconds, errors } = await frozenDuring(
      pg,
      proc,
      '%insert into "customer_features"%',
    );
    console.log(`train --register frozen: exit ${code} after ${seconds.toFixed(2)} s`);
    expect(code).toBe(1);
    expectOneLine(errors);
    // The frozen backend rolls back once it runs again and finds its client gone.
    for (const until = performance.now() + 10_000; performance.now() < until; ) {
      const [open] = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'
          and pid <> pg_backend_pid() and state <> 'idle'`,
      );
      if (Number(open?.n) === 0) break;
      await Bun.sleep(50);
    }
    expect(await stored(handle)).toEqual({
      versions: [[1, "production"]],
      features: { 1: undisturbed },
      decisions: DECISIONS,
    });
    const rerun = await runBun(CLI, trainArgs("out3"), env, { cwd: root, timeoutMs: 300_000 });
    expect(rerun.status).toBe(0);
    expect(await stored(handle)).toEqual({
      versions: [
        [1, "archived"],
        [2, "production"],
      ],
      features: { 1: undisturbed, 2: undisturbed },
      decisions: DECISIONS,
    });
  });

  test("score frozen mid-COPY: exit 1 in seconds, no output or partial file; a rerun writes every customer", async () => {
    const out = join(dir, "scores.csv");
    const proc = startBun("ml score", CLI, env, {
      cwd: root,
      args: ["score", "--model", "big", "--out", out],
    });
    const { code, seconds, errors } = await frozenDuring(pg, proc, "%copy (select customer_id%");
    console.log(`score frozen: exit ${code} after ${seconds.toFixed(2)} s`);
    expect(code).toBe(1);
    expectOneLine(errors);
    expect(existsSync(out)).toBe(false);
    // Not even its partial file (kill -9 would leave that; an exit is given the chance to tidy).
    expect(readdirSync(dir).filter((f) => f.startsWith("scores.csv"))).toEqual([]);
    const rerun = await runBun(CLI, ["score", "--model", "big", "--out", out], env, {
      cwd: root,
    });
    expect(rerun.status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith("scores.csv"))).toEqual(["scores.csv"]);
    const lines = (await Bun.file(out).text()).trimEnd().split("\n");
    expect(lines.length).toBe(CUSTOMERS + 1);
  });

  test("score --to a frozen target mid-COPY: exit 1 in seconds naming it, no row; a rerun upserts every customer", async () => {
    const target = ThrowawayPostgres.create(bin as string);
    const targetDb = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      const args = ["score", "--model", "big", "--to", target.url, "--table", "scores"];
      const proc = startBun("ml score --to", CLI, env, { cwd: root, args });
      const { code, seconds, errors } = await frozenDuring(target, proc, "%copy%from stdin%");
      console.log(`score --to frozen: exit ${code} after ${seconds.toFixed(2)} s`);
      expect(code).toBe(1);
      expect(errors).toHaveLength(1);
      // The silence it reports is measured at a probe (a second apart): 4 s was seen, as in
      // expectOneLine's pattern.
      expect(errors[0]).toMatch(
        new RegExp(
          `^error: the database at ${RegExp.escape(target.url)} has not answered for \\d+ s `,
        ),
      );
      const [table] = await targetDb`select to_regclass('scores') is not null as exists`;
      if (table?.exists)
        expect((await targetDb`select count(*)::int as n from scores`)[0]?.n).toBe(0);
      const rerun = await runBun(CLI, args, env, { cwd: root });
      expect(rerun.status).toBe(0);
      expect((await targetDb`select count(*)::int as n from scores`)[0]?.n).toBe(CUSTOMERS);
    } finally {
      await targetDb.end();
      target.destroy();
    }
  });

  test("forget frozen mid-chunk: exit 1 in seconds, the chunk all there; a rerun erases it", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => String(i + 1));
    // Held here so the frozen moment is inside forget's transaction: it waits on this lock after
    // deleting the stored rows.
    const holder = postgres(pg.url, { max: 1, onnotice: () => {} });
    const reserved = await holder.reserve();
    await reserved`begin`;
    await reserved`lock table decision_log in exclusive mode`;
    const proc = startBun("ml forget", CLI, env, { cwd: root, args: ["forget", ...ids] });
    const { code, seconds, errors } = await frozenDuring(pg, proc, "%decision_log%");
    console.log(`forget frozen: exit ${code} after ${seconds.toFixed(2)} s`);
    await reserved`rollback`;
    reserved.release();
    await holder.end();
    expect(code).toBe(1);
    expectOneLine(errors);
    for (const until = performance.now() + 10_000; performance.now() < until; ) {
      const [open] = await queryRows<{ n: number }>(
        handle.db,
        sql`select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'
          and pid <> pg_backend_pid() and state <> 'idle'`,
      );
      if (Number(open?.n) === 0) break;
      await Bun.sleep(50);
    }
    const after = await stored(handle);
    expect(after.features).toEqual({ 1: undisturbed, 2: undisturbed });
    expect(after.decisions).toBe(DECISIONS);
    const rerun = await runBun(CLI, ["forget", ...ids], env, { cwd: root });
    expect(rerun.status).toBe(0);
    const erased = await stored(handle);
    expect(erased.features[1]?.rows).toBe(CUSTOMERS - ids.length);
    expect(erased.features[2]?.rows).toBe(CUSTOMERS - ids.length);
    expect(erased.decisions).toBe(DECISIONS - ids.length);
  });

  // Already fine before these changes, kept as a guard: the other two ways a database goes away.
  for (const fault of ["stop", "terminate"] as const) {
    test(`train --register with PostgreSQL ${fault === "stop" ? "stopped" : "ending its backend"} mid-insert: exit 1 at once, nothing lost; a rerun stores the same rows`, async () => {
      const before = await stored(handle);
      const proc = startBun("ml train", CLI, env, { cwd: root, args: trainArgs(`out-${fault}`) });
      await waitForStatement(pg.url, '%insert into "customer_features"%', proc);
      const at = performance.now();
      if (fault === "stop") {
        pg.stop();
      } else {
        const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
        await admin`select pg_terminate_backend(pid) from pg_stat_activity
          where query ilike '%insert into "customer_features"%' and pid <> pg_backend_pid()`;
        await admin.end();
      }
      const code = await Promise.race([
        exitCodeOf(proc),
        Bun.sleep(GIVE_UP_WITHIN_MS).then(() => -1),
      ]);
      const seconds = (performance.now() - at) / 1000;
      if (code === -1) proc.child.kill("SIGKILL");
      if (fault === "stop") pg.start();
      console.log(`train --register, ${fault}: exit ${code} after ${seconds.toFixed(2)} s`);
      expect(code).toBe(1);
      const errors = proc.output.filter((l) => l.startsWith("error") || l.includes("    at "));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toStartWith(
        `error: lost the connection to the database at DATABASE_URL=${pg.url} (`,
      );
      // The test's own pool lost its connections to the stop: a fresh one.
      await Promise.race([handle.close().catch(() => {}), Bun.sleep(2000)]);
      handle = await createDatabase({ databaseUrl: pg.url });
      expect(await stored(handle)).toEqual(before);
      const rerun = await runBun(CLI, trainArgs(`out-${fault}-again`), env, {
        cwd: root,
        timeoutMs: 300_000,
      });
      expect(rerun.status).toBe(0);
      const next = before.versions.length + 1;
      expect(await stored(handle)).toEqual({
        versions: [
          ...before.versions.map(([v]) => [v, "archived"] as [number, string]),
          [next, "production"],
        ],
        // v1's rows as they are now: the customers `forget` erased above (within a day) are left
        // out of a registration too, the rest are stored the same.
        features: { ...before.features, [next]: before.features[1] ?? undisturbed },
        decisions: before.decisions,
      });
    });
  }
});
