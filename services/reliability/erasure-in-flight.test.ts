// `ml forget` while decisions about the customer are being made, with real processes: the decision
// service (Bun entry) on PostgreSQL under a load of decisions for one customer, erased mid-load.
// Decisions still in flight when the erasure committed used to be written after it; now none of
// that customer's decisions made before the erasure is left, and the load keeps being answered
// while the erasure holds the decision log's writers: 200, or 409 for a decision the log skipped as
// made within the erasure's second (never a 200 for it). Decisions about the customer from 1.5 s
// after the erasure on are all logged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@pp/shared/db/database.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import {
  decisionLoad,
  forecastStubAroundTests,
  missingDecisionIds,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";

const forecast = forecastStubAroundTests();
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
});

afterAll(async () => {
  await db?.cleanup();
});

describe("an erasure during decisions about the customer (PostgreSQL)", () => {
  test("nothing about the customer decided before the erasure is left; decisions keep being answered", async () => {
    const url = db.options.databaseUrl as string;
    const service = await startDecision(forecast.url, { DATABASE_URL: url });
    // The load decides about c-1 only; a first batch answered before, kept for the count below.
    const before = decisionLoad(service.base);
    await Bun.sleep(1000);
    await before.stop();
    const load = decisionLoad(service.base);
    await Bun.sleep(700);
    const started = performance.now();
    const gone = await forgetCustomers(db.handle.db, ["c-1"]);
    const erasureMs = performance.now() - started;
    const returnedAt = new Date(); // the erasure has committed: nothing decided before may remain
    await Bun.sleep(700);
    await load.stop();
    // The customer comes back 1.5 s after the erasure: those decisions are logged (they were not,
    // for 10 s, while the rule allowed for the service's clock running ahead of the database's).
    await Bun.sleep(1500 - (Date.now() - returnedAt.getTime()));
    const comeBack = decisionLoad(service.base);
    await Bun.sleep(700);
    await comeBack.stop();
    expect(await stopGracefully(service)).toBe(0);

    const [left] = await queryRows<{ n: string }>(
      db.handle.db,
      sql`select count(*)::text as n from decision_log
          where customer_id = 'c-1' and decided_at <= ${returnedAt.toISOString()}::timestamptz`,
    );
    console.log(
      `erased ${gone.decisions} decision(s) in ${erasureMs.toFixed(0)} ms while ${load.answered.length} were answered; ` +
        `left decided before the erasure: ${left?.n}`,
    );
    expect(gone.decisions).toBeGreaterThan(before.answered.length);
    expect(load.answered.length).toBeGreaterThan(50);
    expect(left?.n).toBe("0");
    // No failures while the erasure held the decision log: 200s, and 409s for the decisions it
    // skipped as made within its second (they were 200s the log never held).
    expect([...load.statuses.keys()].filter((s) => s !== 200 && s !== 409)).toEqual([]);
    const erasedWithin = load.statuses.get(409) ?? 0;
    console.log(`answered 409 (decided within the erasure's second, not logged): ${erasedWithin}`);
    // The decisions answered before the load under test were written, then erased with the rest.
    expect(await missingDecisionIds({ databaseUrl: url }, before.answered)).toHaveLength(
      before.answered.length,
    );
    expect(comeBack.answered.length).toBeGreaterThan(20);
    expect(await missingDecisionIds({ databaseUrl: url }, comeBack.answered)).toEqual([]);
  }, 120_000);
});
