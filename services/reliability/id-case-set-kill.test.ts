// kill -9 of `decisions id-case set any_case` mid-write, with real processes, while a decision
// service (store kept apart, forecast service gone) answers lookups from that store: after each
// kill the store holds the old rule (nothing recorded: `unknown`) or the new one (one
// `ids_lower_cased` row stated by an operator), never a row half-written; the service answers
// 200 with the rule the store holds, and running the command again succeeds. On PostgreSQL the
// CLI is also killed while a trigger holds its INSERT and its COMMIT; on the embedded store
// (hosted by the service, the CLI its client) at moments spread over its run. Also: two CLIs on
// one store at once (any_case twice; any_case and exact), one of them killed.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { decisionStoreSettings } from "@pp/shared/db/schema.ts";
import { appendDecisions } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  adminCustomerDecisions,
  caseServiceStarter,
  type ServiceProcess,
  waitOk,
} from "../testing/case-rule-demo.ts";
import { cleanupsAfterEach } from "../testing/cleanups.ts";
import {
  type KillRound,
  killedCli,
  killRounds,
  shortestRunMs,
  spreadOver,
} from "../testing/cli-kill.ts";
import { type KillSetup, seededStore, storeClient } from "../testing/kill-stores.ts";
import { StatementPause } from "../testing/pg-pause.ts";

const CLI = resolve(import.meta.dirname, "../decision/src/cli/decisions.ts");
const ADMIN_KEY = "id-case-kill-admin-key-0123456789";
const SPELLINGS = ["User@X.org", "USER@x.org", "user@x.org"];
const { cleanups, tempDir } = cleanupsAfterEach();
const start = caseServiceStarter(cleanups);

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
const killedSet = (env: Record<string, string>, rule: string, killWhen: Promise<unknown>) =>
  killedCli("decisions", CLI, env, ["id-case", "set", rule], killWhen);

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
function wholeRunMs(env: Record<string, string>): Promise<number> {
  return shortestRunMs(
    2,
    async () => {},
    () => rerun(env),
  );
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

/** Each round: reset to the old rule, the CLI killed, checked; then rerun. */
function setRound({ db, service: decision, env }: KillSetup): KillRound {
  return {
    async run(_i, at) {
      await db.db.delete(decisionStoreSettings);
      await expectServiceSays(decision, "old");
      return killedSet(env, "any_case", at());
    },
    async left() {
      const rule = await held(db);
      await expectServiceSays(decision, rule);
      await rerun(env);
      expect(await held(db)).toBe("new");
      await expectServiceSays(decision, "new");
      return rule;
    },
  };
}

/**
 * Two CLIs at once on one store, `rules` each, the second killed at `killAfterMs`: each row is
 * whole and there at most once; any_case is there when its CLI finished (it wins over an exact
 * stated at the same moment); a rerun of any_case then succeeds.
 */
async function twoAtOnce(
  { db, service: decision, env }: KillSetup,
  rules: [string, string],
  killAfterMs: number,
): Promise<void> {
  await db.db.delete(decisionStoreSettings);
  const [first, second] = await Promise.all([
    runBun(CLI, ["id-case", "set", rules[0]], env, { timeoutMs: 60_000 }),
    killedSet(env, rules[1], Bun.sleep(killAfterMs)),
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

let pg: Awaited<ReturnType<typeof openTestDatabase>>;
let pause: StatementPause;
beforeAll(async () => {
  pg = await openTestDatabase("postgres");
  pause = await StatementPause.install(pg.options.databaseUrl as string, {
    table: "decision_store_settings",
    statement: "insert",
    commit: true,
  });
  await appendDecisions(
    pg.handle.db,
    SPELLINGS.map((id) => decisionRow(id, new Date())),
  );
}, 60_000);
afterAll(async () => {
  await pause?.end();
  await pg?.cleanup();
});

test("PostgreSQL: killed in its INSERT, its COMMIT and over its run: old or new, never part", async () => {
  const env = { DATABASE_URL: pg.options.databaseUrl as string };
  const decision = await decisionOn(env);
  const phases = ["insert", "commit", "insert", "commit"] as const;
  try {
    const setup = { db: pg.handle, service: decision, env };
    // The pause would apply to the rerun too: cleared once the CLI is seen at its phase.
    const held = await killRounds(setRound(setup), phases.length, pause.plan(phases));
    // Killed in its INSERT: nothing committed (old). Killed in its COMMIT: the COMMIT was sent,
    // PostgreSQL completes it (new), whole.
    expect(held).toEqual({ kills: 4, finished: 0, old: 2, new: 2 });
    const ms = await wholeRunMs(env);
    const timed = await killRounds(
      setRound(setup),
      6,
      spreadOver(ms, 0.3, 0.14, () => pause.settled()),
    );
    console.error(`postgres (a whole run ${ms.toFixed(0)} ms), held:`, held, "timed:", timed);
    expect((timed.old ?? 0) + (timed.new ?? 0)).toBe(6);
    await twoAtOnce(setup, ["any_case", "any_case"], 60);
    await twoAtOnce(setup, ["exact", "any_case"], 500);
  } finally {
    await pause.hold(null);
  }
}, 120_000);

test("embedded store hosted by the service: killed over the CLI's run: old or new", async () => {
  const dir = tempDir("pp-id-case-kill-");
  const decisionDir = join(dir, "decisions");
  await seededStore(decisionDir, (seed) =>
    appendDecisions(
      seed.db,
      SPELLINGS.map((id) => decisionRow(id, new Date())),
    ),
  );
  const env = { DATABASE_URL: "", DATA_DIR: join(dir, "registry"), DECISION_DATA_DIR: decisionDir };
  const decision = await decisionOn(env);
  // The test reads and resets the store as another client of the service's host.
  const setup = { db: await storeClient(cleanups, decisionDir), service: decision, env };
  const ms = await wholeRunMs(env);
  // Past 8 rounds only while no kill landed (a run faster than timed): at most 16 in all.
  const counts = await killRounds(setRound(setup), 8, spreadOver(ms, 0.3, 0.1), undefined, {
    kills: 1,
    rounds: 16,
  });
  console.error(`embedded (a whole run ${ms.toFixed(0)} ms):`, counts);
  // Every round (8, or more when no kill landed) left old or new.
  const rounds = (counts.kills ?? 0) + (counts.finished ?? 0);
  expect(rounds).toBeGreaterThanOrEqual(8);
  expect((counts.old ?? 0) + (counts.new ?? 0)).toBe(rounds);
  expect(counts.kills).toBeGreaterThan(0);
  await twoAtOnce(setup, ["any_case", "any_case"], 300);
  await twoAtOnce(setup, ["any_case", "exact"], 600);
  expect(decision.exited()).toBe(false);
}, 120_000);
