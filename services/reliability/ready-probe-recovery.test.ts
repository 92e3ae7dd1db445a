// A /ready probe that fails slowly must not leave the decision log down for good: the writer
// retries by itself, so decisions answer 200 again once the database is back, whether or not
// anything calls /ready again. A real decision service on a throwaway PostgreSQL frozen (SIGSTOP)
// while /ready is asked once, then thawed; only decisions are sent after that.
//
// And /ready under probe load while PostgreSQL is stopped and started again (a service that holds
// no policy copy: it has decided nothing yet): 503 naming the failing checks while it is down,
// never a 500, the process up; 200 with its policy check passing once it is back, the service not
// restarted. The policy reads the probes caused are counted in the server's statement log: at most
// one a second (PROBE_REUSE_MS in policy-catalog.ts), not one per probe.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import postgres from "postgres";
import {
  decide,
  decisionReadyOn,
  forecastStubAroundTests,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";

const bin = postgresBinDirOrWarn("the /ready probe recovery test");
const forecast = forecastStubAroundTests();

test.skipIf(!bin)(
  "after a /ready probe timed out on a frozen database, decisions are 200 again once it thaws",
  async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    try {
      const p = await startDecision(forecast.url, { DATABASE_URL: pg.url });
      pg.freeze();
      // /ready gives up waiting after 0.5 s; the probe it started fails later (2 s), with no
      // decision queued. Disk full under the embedded store did the same: the opening stalled.
      const ready = await fetch(`${p.base}/ready`);
      expect(ready.status).toBe(503);
      await ready.text();
      await Bun.sleep(3000);
      pg.thaw();
      const statuses: number[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && statuses.at(-1) !== 200) {
        const res = await decide(p.base);
        await res.text();
        statuses.push(res.status);
        await Bun.sleep(200);
      }
      await stopGracefully(p);
      // Before the fix: 503 for as long as nobody asked /ready (50 of 50 in these 10 s).
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    } finally {
      pg.destroy();
    }
  },
  60_000,
);

interface ReadyCheck {
  name: string;
  status: string;
  reason?: string;
}

/** /ready asked by 8 loops until stopped: statuses, failing check names, bodies not JSON. */
function readyLoad(base: string) {
  let running = true;
  const statuses = new Map<number, number>();
  const failing = new Map<string, number>();
  const notJson: string[] = [];
  let lastPolicy: ReadyCheck | undefined;
  let last = 0;
  const loops = Array.from({ length: 8 }, async () => {
    while (running) {
      let status = 0;
      try {
        const res = await fetch(`${base}/ready`);
        status = res.status;
        const text = await res.text();
        try {
          const body = JSON.parse(text) as {
            checks?: ReadyCheck[];
            error?: { code: string; details?: { checks?: ReadyCheck[] } };
          };
          const checks = body.checks ?? body.error?.details?.checks ?? [];
          if (status === 503 && body.error?.code !== "not_ready") notJson.push(text.slice(0, 120));
          for (const c of checks.filter((c) => c.status === "failing"))
            failing.set(c.name, (failing.get(c.name) ?? 0) + 1);
          lastPolicy = checks.find((c) => c.name === "policy");
        } catch {
          notJson.push(`${status} ${text.slice(0, 120)}`);
        }
      } catch {
        status = 0; // connection refused or closed: the process is gone
        await Bun.sleep(20);
      }
      last = status;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    statuses,
    failing,
    notJson,
    last: () => ({ status: last, policy: lastPolicy }),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Reads of the active policy in the cluster's statement log (log_statement = all). */
function policyReads(pg: ThrowawayPostgres): number {
  const log = readFileSync(join(pg.dir, "log"), "utf8");
  return log
    .split("\n")
    .filter((l) =>
      /LOG: {2}(execute|statement)[^:]*: select .* from "policies" where "policies"."active" = /.test(
        l,
      ),
    ).length;
}

test.skipIf(!bin)(
  "/ready under probe load through a PostgreSQL stop and start: 503 naming the checks, never 500; 200 again, policy read at most once a second",
  async () => {
    const pg = ThrowawayPostgres.create(bin as string);
    try {
      const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
      await admin`alter system set log_statement = 'all'`;
      await admin`select pg_reload_conf()`;
      await admin.end();
      const p = await decisionReadyOn(await freePort(), {
        FORECAST_URL: forecast.url,
        DATABASE_URL: pg.url,
      });
      const started = Date.now();
      const readsAtStart = policyReads(pg);
      const load = readyLoad(p.base);
      await Bun.sleep(3000);
      const upBefore = new Map(load.statuses);
      pg.stop();
      await Bun.sleep(3000);
      const downFailing = new Map(load.failing);
      const down503 = (load.statuses.get(503) ?? 0) - (upBefore.get(503) ?? 0);
      pg.start();
      const until = Date.now() + 20_000;
      while (Date.now() < until && load.last().status !== 200) await Bun.sleep(50);
      const backAfter = Date.now();
      await Bun.sleep(3000);
      await load.stop();
      const seconds = (Date.now() - started) / 1000;
      const reads = policyReads(pg) - readsAtStart;
      const probes = [...load.statuses.values()].reduce((a, b) => a + b, 0);
      console.log(
        `/ready ${probes} probes in ${seconds.toFixed(1)} s (statuses ${[...load.statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}; failing checks ${[...downFailing].map(([s, n]) => `${s}: ${n}`).join(", ")}); ` +
          `200 again ${((backAfter - started) / 1000).toFixed(1)} s in; ${reads} policy reads`,
      );
      expect(p.exited()).toBe(false);
      expect(load.notJson).toEqual([]);
      expect([...load.statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(upBefore.get(200) ?? 0).toBeGreaterThan(0);
      expect(down503).toBeGreaterThan(0);
      expect(downFailing.get("policy") ?? 0).toBeGreaterThan(0); // named while the store is away
      expect(load.last()).toEqual({
        status: 200,
        policy: expect.objectContaining({ name: "policy", status: "ok" }),
      });
      // At most one read a second (and one more for a probe that began as the window closed).
      expect(reads).toBeGreaterThan(0);
      expect(reads).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
      expect(probes).toBeGreaterThan(10 * reads); // the reads are not one per probe
      expect(await stopGracefully(p)).toBe(0);
    } finally {
      pg.destroy();
    }
  },
  90_000,
);
