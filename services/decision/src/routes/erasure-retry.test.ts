// An erasure whose COMMIT landed but whose answer was lost (the connection cut after COMMIT: the
// client got a 503) is retried, as an erasure is idempotent. The retry found nothing and said
// `erased: {decisions: 0}`, as for a customer never logged, so the client could not tell that its
// first attempt had done the work. Now it says `already_erased: true` and when.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { appendDecisions, DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import {
  type CommitDropProxy,
  startCommitDropProxy,
} from "@pp/shared/testing/commit-drop-proxy.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

const ADMIN = "erasure-retry-admin-key-0123456789";
const CUSTOMER = "José-erasure-retry";
const quiet = createLogger({ sink: () => {} });
let t: TestDatabase;
let proxy: CommitDropProxy;
let proxied: DatabaseHandle;

beforeEach(async () => {
  t = await openTestDatabase("postgres");
  proxy = await startCommitDropProxy(t.options.databaseUrl as string);
  proxied = await createDatabase({ databaseUrl: proxy.url, maxConnections: 2 });
});
afterEach(async () => {
  await proxied?.close();
  await proxy?.close();
  await t?.cleanup();
});

interface Erased {
  erased: { decisions: number; dead_letters: number };
  already_erased: boolean;
  previously_erased_at: string | null;
}

async function erasureApp() {
  // No forecast service listens there: the case rule is `unknown`, the id taken as given.
  const deps = buildDecisionDeps(
    parseConfig({ ADMIN_API_KEYS: ADMIN, FORECAST_URL: `http://127.0.0.1:${await freePort()}` }),
    { runtime: "test", database: async () => proxied.db, overrides: { logger: quiet } },
  );
  const app = createApp(deps);
  const erase = () =>
    app.request(`/admin/customers/${encodeURIComponent(CUSTOMER)}/decisions`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${ADMIN}` },
    });
  return { erase, close: () => deps.audit.close(5000) };
}

const left = async () =>
  (await new DecisionLogRepository(t.handle.db).findByCustomer(CUSTOMER)).length;

test("a retry of an erasure whose answer was lost after COMMIT says it was already done", async () => {
  await appendDecisions(t.handle.db, [decisionRow(CUSTOMER), decisionRow(CUSTOMER)]);
  await appendDecisions(t.handle.db, [decisionRow("someone-else")]);
  const { erase, close } = await erasureApp();
  try {
    proxy.arm("customer_erasures");
    const lost = await erase();
    expect(proxy.dropped()).toBe(1);
    expect(lost.status).toBe(503);
    expect(((await lost.json()) as { error: { details?: unknown } }).error.details).toEqual({
      database: { reason: "CONNECTION_CLOSED" },
    });
    // The COMMIT landed: the rows are gone though the client was told 503.
    const deadline = Date.now() + 3000;
    while ((await left()) > 0 && Date.now() < deadline) await Bun.sleep(50);
    expect(await left()).toBe(0);

    const retry = await erase();
    expect(retry.status).toBe(200);
    const body = (await retry.json()) as Erased;
    expect(body.erased).toEqual({ decisions: 0, dead_letters: 0 });
    expect(body.already_erased).toBe(true);
    const at = Date.parse(body.previously_erased_at ?? "");
    expect(Math.abs(Date.now() - at)).toBeLessThan(60_000);
  } finally {
    await close();
  }
});

test("a first erasure, and one of a customer never erased, say already_erased false", async () => {
  await appendDecisions(t.handle.db, [decisionRow(CUSTOMER)]);
  const { erase, close } = await erasureApp();
  try {
    const first = (await (await erase()).json()) as Erased;
    expect(first.erased.decisions).toBe(1);
    expect(first.already_erased).toBe(false);
    expect(first.previously_erased_at).toBeNull();
    // Decided about again since: this erasure erases that, and names the earlier one.
    await Bun.sleep(20);
    await appendDecisions(t.handle.db, [decisionRow(CUSTOMER, new Date(Date.now() + 5000))]);
    const second = (await (await erase()).json()) as Erased;
    expect(second.erased.decisions).toBe(1);
    expect(second.already_erased).toBe(false);
    expect(second.previously_erased_at).not.toBeNull();
  } finally {
    await close();
  }
});
