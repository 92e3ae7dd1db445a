// kill -9 of `decisions id-case set any_case` mid-write, with real processes, while a decision
// service (store kept apart, forecast service gone) answers lookups from that store: after each
// kill the store holds the old rule (nothing recorded: `unknown`) or the new one (one
// `ids_lower_cased` row stated by an operator), never a row half-written; the service answers
// 200 with the rule the store holds, and running the command again succeeds. On PostgreSQL the
// CLI is also killed while a trigger holds its INSERT and its COMMIT; on the embedded store
// (hosted by the service, the CLI its client) at moments spread over its run. Also: two CLIs on
// one store at once (any_case twice; any_case and exact), one of them killed.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionStoreSettings } from "@pp/shared/db/schema.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { exitCodeOf, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";
import {
  adminCustomerDecisions,
  caseServiceStarter,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";

const CLI = resolve(import.meta.dirname, "../decision/src/cli/decisions.ts");
const ADMIN_KEY = "id-case-kill-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
const cleanups: Array<() => Promise<void> | void> = [];
const start = caseServiceStarter(cleanups);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Held = "old" | "new";

/**
 * The rule the store holds, checked whole: "old" (no row) or "new" (the one `ids_lower_cased`
 * row, its value `{"stated_by":"operator"}`, a time). Anything else fails the test.
 */
async function held(db: DatabaseHandle): Promise<Held> {
  const rows = await db.db.select().from(decisionStoreSettings);
  if (rows.length === 0) return "old";
  expect(rows.map((r) => [r.name, r.value])).toEqual([
    ["ids_lower_cased", { stated_by: "operator" }],
  ]);
  expect(rows[0]?.recordedAt).toBeInstanceOf(Date);
  return "new";
}

/**
 * What the running service answers for the customer: 200, and any_case once the store holds it
 * or the service has seen it (it keeps any_case once read: the rule is one-way, so the test's
 * reset between rounds is not seen), else unknown.
 */
async function expectServiceSays(decision: ServiceProcess, rule: Held): Promise<void> {
  const got = await adminCustomerDecisions(decision, "GET", "User@X.org", ADMIN_KEY);
  const seen = rule === "new" || sawAnyCase.has(decision);
  if (seen) sawAnyCase.add(decision);
  const expected = seen ? ["any_case", 3] : ["unknown", 1];
  expect([got.status, got.id_case, got.decisions?.length]).toEqual([200, ...expected]);
}
const sawAnyCase = new Set<ServiceProcess>();

/** `decisions id-case set RULE`, killed with SIGKILL once `killWhen` resolves (if still running). */
async function killedCli(
  env: Record<string, string>,
  rule: string,
  killWhen: Promise<unknown>,
): Promise<"killed" | number | null> {
  const cli = startBun("decisions", CLI, env, { args: ["id-case", "set", rule] });
  const exit = exitCodeOf(cli);
  await Promise.race([killWhen, exit]);
  if (cli.exited()) return exit;
  cli.child.kill("SIGKILL");
  await exit;
  return "killed";
}

/** Runs the command to its end: exit 0 and the rule now held. */
async function rerun(env: Record<string, string>): Promise<void> {
  const run = await runBun(CLI, ["id-case", "set", "any_case"], env, { timeoutMs: 60_000 });
  expect({ status: run.status, out: run.stdout.split(":")[0] }).toEqual({
    status: 0,
    out: "any_case",
  });
}

/**
 * How long a whole `decisions id-case set any_case` takes here now (the kills are spread over
 * it): the shorter of two runs (a first one may wait for connections to warm up).
 */
async function wholeRunMs(env: Record<string, string>): Promise<number> {
  const took: number[] = [];
  for (let i = 0; i < 2; i++) {
    const began = performance.now();
    await rerun(env);
    took.push(performance.now() - began);
  }
  return Math.min(...took);
}

/** The decision service on `store`, its forecast service gone for good. */
async function decisionOn(store: Record<string, string>): Promise<ServiceProcess> {
  const decision = await start("decision", {
    ...store,
    FORECAST_URL: `http://127.0.0.1:${await freePort()}`,
    ADMIN_API_KEYS: ADMIN_KEY,
  });
  await waitOk(`${decision.base}/health`, "decision");
  return decision;
}

/** Each round: reset to the old rule, kill the CLI at `moment(i)`, count; then rerun. */
async function killRounds(
  db: DatabaseHandle,
  decision: ServiceProcess,
  env: Record<string, string>,
  rounds: number,
  moment: (i: number) => Promise<unknown>,
  settle: () => Promise<void>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = { kills: 0, finished: 0, old: 0, new: 0 };
  for (let i = 0; i < rounds; i++) {
    await db.db.delete(decisionStoreSettings);
    await expectServiceSays(decision, "old");
    const ended = await killedCli(env, "any_case", moment(i));
    if (ended === "killed") counts.kills = (counts.kills ?? 0) + 1;
    else {
      expect(ended).toBe(0);
      counts.finished = (counts.finished ?? 0) + 1;
    }
    await settle();
    const rule = await held(db);
    counts[rule] = (counts[rule] ?? 0) + 1;
    await expectServiceSays(decision, rule);
    await rerun(env);
    expect(await held(db)).toBe("new");
    await expectServiceSays(decision, "new");
  }
  return counts;
}

/**
 * Two CLIs at once on one store, `rules` each, the second killed at `killAfterMs`: each row is
 * whole and there at most once; any_case is there when its CLI finished (it wins over an exact
 * stated at the same moment); a rerun of any_case then succeeds.
 */
async function twoAtOnce(
  db: DatabaseHandle,
  decision: ServiceProcess,
  env: Record<string, string>,
  rules: [string, string],
  killAfterMs: number,
): Promise<void> {
  await db.db.delete(decisionStoreSettings);
  const [first, second] = await Promise.all([
    runBun(CLI, ["id-case", "set", rules[0]], env, { timeoutMs: 60_000 }),
    killedCli(env, rules[1], Bun.sleep(killAfterMs)),
  ]);
  // An exact stated after an any_case landed is refused (exit 1), as it must be.
  const refused = first.status === 1 && first.stderr.startsWith("refused: any_case");
  if (!(rules[0] === "exact" && refused)) {
    expect({ status: first.status, err: first.stderr }).toEqual({ status: 0, err: "" });
  }
  expect([0, 1, "killed"] as unknown[]).toContain(second);
  const rows = await db.db.select().from(decisionStoreSettings);
  for (const row of rows) expect(row.value).toEqual({ stated_by: "operator" });
  const names = rows.map((r) => r.name).sort();
  expect(new Set(names).size).toBe(names.length);
  const anyCaseDone = rules[0] === "any_case" || second === 0;
  if (anyCaseDone) expect(names).toContain("ids_lower_cased");
  await rerun(env);
  await expectServiceSays(decision, "new");
}

/** Triggers that hold an INSERT into decision_store_settings, or its COMMIT, for `ms`. */
const PAUSE_SQL = `
create table test_settings_pause (phase text primary key, ms integer not null);
create function test_settings_pause() returns trigger language plpgsql as $$
begin
  perform pg_sleep(coalesce((select ms from test_settings_pause where phase = tg_argv[0]), 0) / 1000.0);
  return new;
end $$;
create trigger test_pause_insert before insert on decision_store_settings
  for each row execute function test_settings_pause('insert');
create constraint trigger test_pause_commit after insert on decision_store_settings
  deferrable initially deferred for each row execute function test_settings_pause('commit');`;

/** On PostgreSQL: resolves once a backend other than `own` is in `phase` of the statement. */
async function atPhase(admin: postgres.Sql, phase: "insert" | "commit"): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(10)) {
    const rows = await admin<{ query: string; state: string }[]>`
      select query, state from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`;
    const hit = rows.some(({ query }) => {
      const q = query.trimStart().toLowerCase();
      return phase === "commit"
        ? q.startsWith("commit")
        : q.startsWith("insert ") && q.includes('"decision_store_settings"');
    });
    if (hit) return;
  }
  throw new Error(`no CLI reached ${phase} within 30 s`);
}

/** On PostgreSQL: waits until no other backend of the database is in a transaction. */
async function settled(admin: postgres.Sql): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await Bun.sleep(20)) {
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`;
    if (row?.n === 0) return;
  }
  throw new Error("a killed CLI's backend is still in a transaction after 30 s");
}

let pg: Awaited<ReturnType<typeof openTestDatabase>>;
let admin: postgres.Sql;
beforeAll(async () => {
  pg = await openTestDatabase("postgres");
  admin = postgres(pg.options.databaseUrl as string, { max: 2, onnotice: () => {} });
  await admin.unsafe(PAUSE_SQL);
  await appendDecisions(
    pg.handle.db,
    SPELLINGS.map((id) => decisionRow(id, new Date())),
  );
}, 60_000);
afterAll(async () => {
  await admin?.end();
  await pg?.cleanup();
});

test("PostgreSQL: killed in its INSERT, its COMMIT and over its run: old or new, never part", async () => {
  const env = { DATABASE_URL: pg.options.databaseUrl as string };
  const decision = await decisionOn(env);
  const pause = async (phase: string | null) => {
    await admin`delete from test_settings_pause`;
    if (phase) await admin`insert into test_settings_pause values (${phase}, 1500)`;
  };
  const phases = ["insert", "commit", "insert", "commit"] as const;
  try {
    const held = await killRounds(
      pg.handle,
      decision,
      env,
      phases.length,
      async (i) => {
        await pause(phases[i] ?? null);
        // The pause applies to the rerun too: cleared once the CLI is seen at its phase.
        await atPhase(admin, phases[i] ?? "insert");
        await pause(null);
      },
      () => settled(admin),
    );
    // Killed in its INSERT: nothing committed (old). Killed in its COMMIT: the COMMIT was sent,
    // PostgreSQL completes it (new), whole.
    expect(held).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
    const ms = await wholeRunMs(env);
    const timed = await killRounds(
      pg.handle,
      decision,
      env,
      6,
      (i) => Bun.sleep(ms * (0.3 + i * 0.14)),
      () => settled(admin),
    );
    console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, held, "timed:", timed);
    expect((timed.old ?? 0) + (timed.new ?? 0)).toBe(6);
    await twoAtOnce(pg.handle, decision, env, ["any_case", "any_case"], 60);
    await twoAtOnce(pg.handle, decision, env, ["exact", "any_case"], 500);
  } finally {
    await pause(null);
  }
}, 120_000);

test("embedded store hosted by the service: killed over the CLI's run: old or new", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-id-case-kill-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const decisionDir = join(dir, "decisions");
  const seed = await createDatabase({ dataDir: decisionDir });
  await seed.migrate();
  await appendDecisions(
    seed.db,
    SPELLINGS.map((id) => decisionRow(id, new Date())),
  );
  await seed.close();
  const env = { DATABASE_URL: "", DATA_DIR: join(dir, "registry"), DECISION_DATA_DIR: decisionDir };
  const decision = await decisionOn(env);
  // The test reads and resets the store as another client of the service's host.
  const db = await createDatabase({ dataDir: decisionDir });
  cleanups.push(() => db.close());
  const ms = await wholeRunMs(env);
  const counts = await killRounds(
    db,
    decision,
    env,
    8,
    (i) => Bun.sleep(ms * (0.3 + i * 0.1)),
    () => Bun.sleep(50),
  );
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  expect((counts.old ?? 0) + (counts.new ?? 0)).toBe(8);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(db, decision, env, ["any_case", "any_case"], 300);
  await twoAtOnce(db, decision, env, ["any_case", "exact"], 600);
  expect(decision.exited()).toBe(false);
}, 120_000);
