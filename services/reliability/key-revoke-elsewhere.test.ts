// A key revoked by another process (`npm run keys -- revoke`, the admin API of another decision
// service) on PostgreSQL: two real decision services on one database, the key revoked by a third
// process. Before, each service let the revoked key in until its key ring's 30 s refresh (a probe:
// 30.0 s on the second service after a revoke through the first); now PostgreSQL notifies every
// service at the revocation's commit (migration 0015_api_keys_notify) and both refuse it within
// moments. A key created elsewhere is pushed the same way.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { ApiKeyStore } from "../decision/src/index.ts";
import {
  DECISION_BODY,
  decisionReadyOnFreePort,
  forecastStubAroundTests,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const forecast = forecastStubAroundTests();
let t: TestDatabase;
let services: ServiceProcess[] = [];

beforeAll(async () => {
  t = await openTestDatabase("postgres");
  const env = { DATABASE_URL: t.options.databaseUrl as string, FORECAST_URL: forecast.url };
  for (let i = 0; i < 2; i++) services.push((await decisionReadyOnFreePort(env)).service);
}, 180_000);

afterAll(async () => {
  for (const s of services) s.child.kill("SIGKILL");
  services = [];
  await t?.cleanup();
});

/** Milliseconds until every service answers `status` for `key` (polled every 50 ms), or null. */
async function msUntilAll(key: string, status: number, limitMs: number): Promise<number | null> {
  const start = Date.now();
  const pending = new Set(services);
  while (Date.now() - start < limitMs) {
    for (const s of [...pending]) {
      const res = await fetch(`${s.base}/decision`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: DECISION_BODY,
      });
      await res.text();
      if (res.status === status) pending.delete(s);
    }
    if (pending.size === 0) return Date.now() - start;
    await Bun.sleep(50);
  }
  return null;
}

test("a key revoked by another process is refused by every decision service within moments", async () => {
  const store = new ApiKeyStore(t.handle.db);
  const made = await store.create("revoked-elsewhere");
  // Both learn it (a miss re-reads at once), and both have read their keys just now.
  expect(await msUntilAll(made.key, 200, 10_000)).not.toBeNull();
  await store.revoke(made.id);
  const refusedAfter = await msUntilAll(made.key, 401, 10_000);
  expect(refusedAfter).not.toBeNull();
  expect(refusedAfter as number).toBeLessThan(3000);
}, 60_000);
