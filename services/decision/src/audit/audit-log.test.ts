// The writer's deadlines grow with what is written. A batch of 10,000 decisions is one request and
// one write, not a slow database: held to a single decision's 2 s, a valid batch of 10,000
// customers × 50 actions on the embedded store was answered 503 while its rows were committed
// anyway (10,000 decisions nobody was answered, again at every retry), and its write, past the
// attempt timeout, made the log look down: every other decision 503 and /ready 503 for seconds.
import { describe, expect, test } from "bun:test";
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { type AuditSink, BufferedAuditLog } from "./audit-log.ts";

/** A healthy database whose write takes `msPerRow` per row. */
function sinkTaking(msPerRow: number): AuditSink & { written: number } {
  const sink = {
    written: 0,
    async write(rows: NewDecisionLogRow[]) {
      await Bun.sleep(rows.length * msPerRow);
      sink.written += rows.length;
      return { written: rows.length, erased: [] };
    },
    async deadLetter() {},
    async probe() {},
  };
  return sink;
}

const rows = (n: number, prefix: string): NewDecisionLogRow[] =>
  Array.from({ length: n }, (_, i) => ({
    decisionId: `${prefix}-${i}`,
    customerId: `c-${i}`,
    inputs: {},
    chosenAction: "none",
    scores: {},
    policyName: "default",
    policyVersion: 1,
    modelName: "m",
    modelVersion: 1,
  }));

describe("deadlines scaled by the rows written", () => {
  test("a 10,000-row batch on a healthy database is recorded; the log never looks down", async () => {
    // 0.15 ms a row: one decision in well under the 200 ms deadline, 10,000 in 1.5 s (past the
    // 1 s attempt timeout a single deadline gives).
    const sink = sinkTaking(0.15);
    const log = new BufferedAuditLog({ sink, commitTimeoutMs: 200, retryMs: 20 });
    const batch = log.record(rows(10_000, "batch"));
    await Bun.sleep(50);
    // Written while the batch is: not taken for a database gone away (which refuses at once).
    expect(log.hasRoomFor(1)).toBe(true);
    await expect(batch).resolves.toEqual({ erased: new Set() });
    expect(log.problem).toBeUndefined();
    const after = await log.record(rows(1, "single")).then(
      () => "recorded",
      (err: Error) => err.message,
    );
    expect(after).toBe("recorded");
    expect(sink.written).toBe(10_001);
    expect(await log.close(5000)).toBe(true);
  });

  test("concurrent batches queued on a database keeping pace are all recorded, none refused", async () => {
    // 0.05 ms a row: 2,000 rows in 100 ms, well inside their own 400 ms. Twenty at once take 2 s
    // in all: held to their own deadline from the moment they were queued, 15 of the 20 were
    // refused while the database kept pace, and their rows committed anyway.
    const sink = sinkTaking(0.05);
    const log = new BufferedAuditLog({ sink, commitTimeoutMs: 200, retryMs: 20 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        log.record(rows(2000, `b${i}`)).then(
          () => "recorded",
          (err: Error) => err.message,
        ),
      ),
    );
    expect(outcomes.filter((o) => o !== "recorded")).toEqual([]);
    expect(sink.written).toBe(40_000);
    expect(await log.close(5000)).toBe(true);
  });

  test("a single decision keeps its own deadline on a database that stopped answering", async () => {
    const hung: AuditSink = {
      write: () => new Promise(() => {}),
      deadLetter: async () => {},
      probe: () => new Promise(() => {}),
    };
    const log = new BufferedAuditLog({ sink: hung, commitTimeoutMs: 200, retryMs: 20 });
    const started = performance.now();
    const why = await log.record(rows(1, "lost")).then(
      () => "recorded",
      (err: Error) => err.message,
    );
    expect(why).toStartWith("decision not recorded within 200 ms");
    expect(performance.now() - started).toBeLessThan(1000);
    await log.close(100);
  });
});

describe("a full disk", () => {
  // A read-only probe (`select 1`) answers on a full disk: the writer's probe between two failed
  // writes marked the log up, and /ready said 200 until the next decision failed again.
  test("stays not ready while the store's disk has no room, though the database answers", async () => {
    let free = 0;
    const diskFull = Object.assign(new Error("could not extend file"), { code: "53100" });
    const sink: AuditSink = {
      async write(sent) {
        if (free < 1024 * 1024) throw diskFull;
        return { written: sent.length, erased: [] };
      },
      async deadLetter() {},
      async probe() {},
    };
    const log = new BufferedAuditLog({
      sink,
      commitTimeoutMs: 200,
      retryMs: 20,
      freeDiskBytes: () => free,
    });
    await expect(log.record(rows(1, "full"))).rejects.toThrow();
    // Many of the writer's probes later (every 20 ms), still down, for the disk's reason.
    await Bun.sleep(300);
    const full = await log.check();
    expect(full.ok).toBe(false);
    expect(full.reason).toContain("SQLSTATE 53100 (insufficient resources)");
    expect(log.hasRoomFor(1)).toBe(false);
    // Space freed: the next probe finds room, and decisions are recorded again.
    free = 64 * 1024 * 1024;
    await Bun.sleep(100);
    expect(await log.check()).toEqual({ ok: true });
    await expect(log.record(rows(1, "freed"))).resolves.toEqual({ erased: new Set() });
    expect(await log.close(1000)).toBe(true);
  });
});
