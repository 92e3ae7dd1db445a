// Durable before answered, with real processes: the decision service (Bun entry) under load is
// killed with SIGKILL, three rounds on one PGlite directory (restarted each time), and once on a
// throwaway PostgreSQL cluster while that cluster is stopped (an outage). After each restart every
// decision that was answered 200 is in decision_log: 0 missing. And SIGTERM mid-load drains: no
// 500s, every 200 logged, exit code 0. Retention: a service killed mid-prune, then two pruning one
// database while deciding and erasing a customer, delete exactly the old rows and that customer's;
// SIGTERM mid-prune (Bun, Node, Deno) ends it between batches and logs every row it deleted.
// The forecast service is the contract stub over real HTTP.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryRows } from "@pp/shared/db/database.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import {
  decisionLoad,
  forecastStubAroundTests,
  killHard,
  missingDecisionIds,
  startDecision as startDecisionAt,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import { type RuntimeName, startService } from "../testing/runtimes.ts";

const forecast = forecastStubAroundTests();
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const startDecision = (env: Record<string, string>) => startDecisionAt(forecast.url, env);

describe("kill -9 mid-load (PGlite, 3 rounds)", () => {
  test("every decision answered 200 is in decision_log after restart: 0 missing", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-crash-"));
    dirs.push(dataDir);
    const env = { DECISION_DATA_DIR: dataDir };
    const answered: string[] = [];
    for (let round = 1; round <= 3; round++) {
      const p = await startDecision(env);
      const traffic = decisionLoad(p.base);
      const deadline = Date.now() + 20_000;
      while (traffic.answered.length < 300 * round && Date.now() < deadline) await Bun.sleep(20);
      await killHard(p); // in the middle of the load
      await traffic.stop();
      expect(traffic.answered.length).toBeGreaterThan(100);
      answered.push(...traffic.answered);
      console.log(`round ${round}: ${traffic.answered.length} answered 200, statuses`, [
        ...traffic.statuses,
      ]);
    }
    // Restarted after the last kill: it opens and recovers the store, then stops cleanly.
    const after = await startDecision(env);
    await stopGracefully(after);
    expect(await missingDecisionIds({ dataDir }, answered)).toEqual([]);
  }, 180_000);
});

const bin = postgresBinDirOrWarn("the decision crash-during-outage test");

describe.skipIf(!bin)("kill -9 during a PostgreSQL outage", () => {
  test("answered before and during the outage: all in decision_log; none answered 200 while down", async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    try {
      const p = await startDecision({ DATABASE_URL: pg.url });
      const traffic = decisionLoad(p.base);
      const deadline = Date.now() + 20_000;
      while (traffic.answered.length < 300 && Date.now() < deadline) await Bun.sleep(20);
      pg.stop(); // the database goes away under load
      const atStop = traffic.answered.length;
      await Bun.sleep(4000);
      const duringOutage = traffic.answered.length - atStop;
      await killHard(p); // and the service dies during the outage
      await traffic.stop();
      pg.start();
      // At most the few requests whose commit was acknowledged as the server went down.
      expect(duringOutage).toBeLessThan(50);
      expect(traffic.statuses.get(500) ?? 0).toBe(0);
      expect(traffic.statuses.get(503) ?? 0).toBeGreaterThan(0);
      expect(await missingDecisionIds({ databaseUrl: pg.url }, traffic.answered)).toEqual([]);
      console.log(
        `outage: ${traffic.answered.length} answered 200 (${duringOutage} after the stop), statuses`,
        [...traffic.statuses],
      );
    } finally {
      pg.destroy();
    }
  }, 120_000);
});

describe("SIGTERM mid-load", () => {
  test("requests in flight finish; no 500s; every 200 is logged; exit code 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-sigterm-"));
    dirs.push(dataDir);
    const p = await startDecision({ DECISION_DATA_DIR: dataDir });
    const traffic = decisionLoad(p.base);
    const deadline = Date.now() + 20_000;
    while (traffic.answered.length < 300 && Date.now() < deadline) await Bun.sleep(20);
    const code = await stopGracefully(p);
    await traffic.stop();
    expect(code).toBe(0);
    const statuses = Object.fromEntries(traffic.statuses);
    // 200s, and connections refused once it stopped listening: nothing else.
    expect(Object.keys(statuses).filter((s) => s !== "200" && s !== "0")).toEqual([]);
    expect(await missingDecisionIds({ dataDir }, traffic.answered)).toEqual([]);
  }, 120_000);
});

describe("retention and erasure under load, kill -9 mid-prune, two services pruning one store", () => {
  test("SIGTERM mid-prune on Bun, Node and Deno: the batch under way commits and is logged before the database closes", async () => {
    const t = await openTestDatabase("postgres");
    // 16 prune batches of 5,000: each runtime is stopped within its first few (seen: 2 each), and
    // `after > 0` below checks every stop landed mid-prune (200,000 rows were 2.5 times as slow).
    const OLD = 80_000;
    try {
      const log = new DecisionLogRepository(t.handle.db);
      const old = new Date(Date.UTC(2001, 0, 1));
      for (let i = 0; i < OLD; i += 20_000) {
        await log.insertMany(
          Array.from({ length: 20_000 }, (_, k) => decisionRow(`old-${(i + k) % 999}`, old)),
        );
      }
      const left = async () =>
        Number(
          (
            await queryRows<{ n: string }>(
              t.handle.db,
              sql`select count(*) as n from decision_log where decided_at < '2002-01-01'`,
            )
          )[0]?.n,
        );
      // Each runtime in turn starts pruning the same rows and is stopped as soon as it has begun.
      let before = OLD;
      for (const runtime of ["bun", "node", "deno"] as RuntimeName[]) {
        const service = await startService(runtime, "decision", {
          DATABASE_URL: t.options.databaseUrl as string,
          DECISION_LOG_RETENTION_DAYS: "30",
          FORECAST_URL: forecast.url,
        });
        const deadline = Date.now() + 60_000;
        while ((await left()) === before && Date.now() < deadline) await Bun.sleep(5);
        await service.stop(15_000); // a SIGKILL would lose the line this test counts
        const after = await left();
        const lines = service
          .output()
          .split("\n")
          .filter((line) => line.includes("decision log prune"));
        console.log(`${runtime}: SIGTERM mid-prune, ${before - after} deleted; ${lines}`);
        expect(after).toBeGreaterThan(0); // stopped between batches, not run to the end
        expect(lines).toHaveLength(1);
        const said = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
        expect([said.msg, said.stopped_early]).toEqual(["decision log pruned", true]);
        expect(said.decisions).toBe(before - after); // every committed batch counted
        expect(service.output()).toContain('"msg":"stopped"');
        before = after;
      }
    } finally {
      await t.cleanup();
    }
  }, 240_000);

  test("only rows older than the retention go; every answered decision and every recent row stays", async () => {
    const t = await openTestDatabase("postgres");
    // 16 prune batches of 5,000: the kill lands after the first (seen: 1), checked below.
    const OLD = 80_000;
    const ADMIN = "crash-admin-key-0123456789";
    try {
      const log = new DecisionLogRepository(t.handle.db);
      const row = (customerId: string, decidedAt: Date) =>
        decisionRow(customerId, decidedAt, { inputs: { note: "seeded" } });
      const old = new Date(Date.UTC(2001, 0, 1));
      for (let i = 0; i < OLD; i += 20_000) {
        await log.insertMany(
          Array.from({ length: 20_000 }, (_, k) => row(`old-${(i + k) % 999}`, old)),
        );
      }
      const recent = new Date(Date.now() - 86_400_000); // a day ago: inside 30 days
      await log.insertMany(Array.from({ length: 1000 }, (_, k) => row(`keep-${k % 10}`, recent)));
      await log.insertMany(Array.from({ length: 300 }, () => row("victim", recent)));
      const count = async (where: string) =>
        Number(
          (
            await queryRows<{ n: string }>(
              t.handle.db,
              sql`select count(*) as n from decision_log where ${sql.raw(where)}`,
            )
          )[0]?.n,
        );
      const env = {
        DATABASE_URL: t.options.databaseUrl as string,
        DECISION_LOG_RETENTION_DAYS: "30",
        ADMIN_API_KEYS: ADMIN,
        LOG_LEVEL: "info",
      };

      // 1. The service prunes at start; it is killed with -9 in the middle, under load.
      const first = await startDecision(env);
      const traffic = decisionLoad(first.base);
      const deadline = Date.now() + 60_000;
      let left = OLD;
      while (Date.now() < deadline) {
        left = await count("decided_at < '2002-01-01'");
        if (left < OLD) break;
        await Bun.sleep(10);
      }
      await killHard(first);
      await traffic.stop();
      // The statement running at the kill still finishes (or not) on the server: let it settle.
      await Bun.sleep(1000);
      expect(left).toBeLessThan(OLD);
      const afterKill = await count("decided_at < '2002-01-01'");
      console.log(
        `kill -9 mid-prune: ${OLD - afterKill} of ${OLD} old rows deleted before the kill`,
      );
      expect(afterKill).toBeGreaterThan(0); // killed mid-prune: the two services had rows left

      // 2. Two services on the same database prune the rest at once while decisions go on and one
      //    customer is erased through the admin API.
      const [a, b] = await Promise.all([startDecision(env), startDecision(env)]);
      if (!a || !b) throw new Error("two services");
      const second = decisionLoad(a.base);
      const erased = await fetch(`${b.base}/admin/customers/victim/decisions`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(erased.status).toBe(200);
      const until = Date.now() + 120_000;
      while ((await count("decided_at < '2002-01-01'")) > 0 && Date.now() < until) {
        await Bun.sleep(50);
      }
      // Decisions go on meanwhile: a count, not a rate (a fast prune on a loaded machine once
      // left 64 answered where 100 were asked for).
      while (second.answered.length < 100 && Date.now() < until) await Bun.sleep(20);
      await second.stop();
      // A stop lets a prune under way finish its batch and log it: no wait for the lines.
      for (const p of [a, b]) expect(await stopGracefully(p)).toBe(0);

      const pruned = [a, b].flatMap((p) =>
        p.output
          .filter((line) => line.includes("decision log pruned"))
          .map((line) => (JSON.parse(line) as { decisions: number }).decisions),
      );
      const answered = [...traffic.answered, ...second.answered];
      console.log(
        `then two services pruned ${pruned.join(" + ")} rows; ${answered.length} decisions answered 200 meanwhile; erased ${JSON.stringify(await erased.json())}`,
      );
      expect(await count("decided_at < '2002-01-01'")).toBe(0);
      expect(pruned.reduce((s, n) => s + n, 0)).toBe(afterKill); // none twice, none missed
      expect(await count("customer_id like 'keep-%'")).toBe(1000);
      expect(await count("customer_id = 'victim'")).toBe(0);
      expect(answered.length).toBeGreaterThan(100);
      expect(
        await missingDecisionIds({ databaseUrl: t.options.databaseUrl as string }, answered),
      ).toEqual([]);
      expect(traffic.statuses.get(500) ?? 0).toBe(0);
      expect(second.statuses.get(500) ?? 0).toBe(0);
    } finally {
      await t.cleanup();
    }
  }, 300_000);
});
