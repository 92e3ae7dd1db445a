// Retention's schedule: a prune that fails (the database cannot be opened) is retried after 1 s,
// then 2 s, not at the next hourly tick, and the rows go once the database answers. The real
// process cut off from PostgreSQL mid-prune is services/reliability/retention-outage.test.ts.
import { expect, test } from "bun:test";
import type { Database } from "@pp/shared/db/database.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { pruneRetryDelay, startRetention } from "./decision-log-retention.ts";

test("retry delays: 1 s doubling to a minute, never past the interval", () => {
  const hour = 3_600_000;
  expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((f) => pruneRetryDelay(f, hour))).toEqual([
    1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
  ]);
  expect(pruneRetryDelay(3, 5000)).toBe(5000);
});

test("a prune that fails while the database is away is retried within seconds, and then deletes", async () => {
  const t = await openTestDatabase("pglite");
  try {
    const log = new DecisionLogRepository(t.handle.db);
    const old = new Date(Date.UTC(2001, 0, 1));
    await log.insertMany(Array.from({ length: 50 }, () => decisionRow("old", old)));
    await log.insertMany([decisionRow("new", new Date())]);
    const lines: Array<{ msg: string; decisions?: number; retry_in_ms?: number }> = [];
    const logger = createLogger({ sink: (line) => lines.push(JSON.parse(line)) });
    const metrics = new MetricsRegistry();
    let attempts = 0;
    // The first two opens fail as a database that is not up yet would; the third is the database.
    const database = async (): Promise<Database> => {
      attempts++;
      if (attempts <= 2) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
      return t.handle.db;
    };
    const started = Date.now();
    const stop = startRetention({ database, logger, metrics }, 30);
    try {
      // Until the rows are gone and the prune has said so: its line follows the DELETE's commit,
      // so stopping as soon as the rows were gone once lost the line (a CI failure, 2026-12-01).
      const pruned = () => lines.some((l) => l.msg === "decision log pruned");
      while ((await log.findByCustomer("old", { limit: 100 })).length > 0 || !pruned()) {
        if (Date.now() - started > 10_000) throw new Error("not pruned within 10 s");
        await Bun.sleep(20);
      }
    } finally {
      await stop();
    }
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(3000 - 50); // 1 s, then 2 s
    expect(took).toBeLessThan(6000); // not the hourly tick
    expect(attempts).toBe(3);
    expect(lines.map((l) => [l.msg, l.retry_in_ms ?? l.decisions])).toEqual([
      ["decision log prune failed", 0],
      ["decision log prune retried later", 1000],
      ["decision log prune failed", 0],
      ["decision log prune retried later", 2000],
      ["decision log pruned", 50],
    ]);
    expect(await log.findByCustomer("new", { limit: 10 })).toHaveLength(1);
    const text = metrics.expose();
    expect(text).toMatch(/^decision_log_prune_failures_total 2$/m);
    expect(text).toMatch(/^decision_log_pruned_rows_total\{table="decision_log"\} 50$/m);
  } finally {
    await t.cleanup();
  }
}, 20_000);
