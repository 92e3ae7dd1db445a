// /ready's reason while the decision log cannot write says since when. A database away since the
// service started was "cannot record decisions for 0 s" at the first /ready (the clock started at
// that probe's failure), which reads as "it just went away"; now it says "since start".
import { expect, test } from "bun:test";
import { lazyDatabase } from "../store/lazy-database.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";
import type { AuditSink } from "./audit-log.ts";
import { BufferedAuditLog } from "./audit-log.ts";
import { decisionLogSink } from "./decision-log-sink.ts";

// A PostgreSQL nobody listens on: the driver's own connection refusal.
const unreachable = () =>
  decisionLogSink(
    lazyDatabase(
      async () =>
        (
          await openDecisionDatabase({
            DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
            DECISION_DATA_DIR: "",
          })
        ).db,
    ),
  );

test("a database away since start: /ready says so, not 'for 0 s'", async () => {
  const log = new BufferedAuditLog({ sink: unreachable(), retryMs: 50 });
  const first = await log.check();
  expect(first.ok).toBe(false);
  expect(first.reason).toMatch(/^cannot record decisions since start \(\d+ s ago\): /);
  expect(first.reason).toContain("ECONNREFUSED");
  expect(first.reason).not.toContain("for 0 s");
  await log.close(1000);
});

test("a database that went away after working: /ready names when, and for how long", async () => {
  let down = false;
  const sink: AuditSink = {
    async write(rows) {
      if (down) throw Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" });
      return { written: rows.length, erased: [] };
    },
    async deadLetter() {},
    async probe() {
      if (down) throw Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" });
    },
  };
  const log = new BufferedAuditLog({ sink, retryMs: 50 });
  expect(await log.check()).toEqual({ ok: true });
  down = true;
  const before = Date.now();
  const { reason } = await log.check();
  const since = reason?.match(/^cannot record decisions since (\S+) \((\d+) s\): /);
  expect(since).not.toBeNull();
  const at = Date.parse(since?.[1] ?? "");
  expect(at).toBeGreaterThanOrEqual(before - 1000);
  expect(at).toBeLessThanOrEqual(Date.now());
  expect(reason).not.toContain("since start");
  await log.close(1000);
});
