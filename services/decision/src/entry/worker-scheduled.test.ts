// The decision Worker's Cron Trigger handler, called as Workers call it (controller, env with a
// Hyperdrive-shaped binding, ctx) on a real PostgreSQL: decisions older than
// DECISION_LOG_RETENTION_DAYS go, recent ones stay, counted. (The fetch path runs on workerd in
// worker-hyperdrive.test.ts; workerd alone has no way to fire a scheduled event.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import type { ExecutionContext } from "hono";
import worker from "./worker.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase("postgres");
}, 60_000);
afterAll(async () => {
  await t?.cleanup();
});

test("the scheduled handler prunes decisions older than the retention through Hyperdrive", async () => {
  const log = new DecisionLogRepository(t.handle.db);
  const day = 86_400_000;
  await log.insertMany([
    ...Array.from({ length: 250 }, () => decisionRow("old", new Date(Date.now() - 31 * day))),
    ...Array.from({ length: 40 }, () => decisionRow("recent", new Date(Date.now() - 29 * day))),
  ]);
  const pending: Promise<unknown>[] = [];
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
    passThroughOnException: () => {},
  } as unknown as ExecutionContext;
  const env = {
    HYPERDRIVE: { connectionString: t.options.databaseUrl as string },
    DECISION_LOG_RETENTION_DAYS: "30",
    LOG_LEVEL: "warn",
  };
  await worker.scheduled({ cron: "17 * * * *", scheduledTime: Date.now() }, env, ctx);
  await Promise.all(pending); // the request's client is closed in waitUntil
  expect(await log.findByCustomer("old", { limit: 1000 })).toEqual([]);
  expect(await log.findByCustomer("recent", { limit: 1000 })).toHaveLength(40);
});
