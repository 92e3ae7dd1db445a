// A batch job as a marketing app runs it: many /decision/batch requests at once to the decision
// service (Bun entry) on PostgreSQL, within the log's buffer. Each request's deadline used to run
// from the moment it was queued, behind the others' rows: 50 batches of 2,000 at once were 74 of
// 75 answered 503 while 28,000 of their rows were committed anyway (a retry decided them again).
// Now every batch is answered 200 and the log holds exactly the answered decisions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@pp/shared/db/database.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import {
  forecastStubAroundTests,
  postDecision,
  startDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import { batchBody } from "../testing/keyed-batch-clients.ts";

const BATCHES = 40;
const SIZE = 2000;

const forecast = forecastStubAroundTests();
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
});

afterAll(async () => {
  await db?.cleanup();
});

describe("concurrent batches on PostgreSQL", () => {
  test(`${BATCHES} batches of ${SIZE} at once: every one answered 200, one row per answered customer`, async () => {
    const url = db.options.databaseUrl as string;
    const service = await startDecision(forecast.url, { DATABASE_URL: url });
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: BATCHES }, async (_, b) => {
        const res = await postDecision(
          `${service.base}/decision/batch`,
          batchBody(`job-${b}`, SIZE),
        );
        return { status: res.status, text: await res.text() };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(await stopGracefully(service)).toBe(0);

    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const [logged] = await queryRows<{ rows: string; customers: string }>(
      db.handle.db,
      sql`select count(*)::text as rows, count(distinct customer_id)::text as customers
          from decision_log where customer_id like 'job-%'`,
    );
    console.log(
      `${BATCHES} batches of ${SIZE} at once in ${seconds.toFixed(1)} s: statuses ${JSON.stringify([...statuses])}; ` +
        `${logged?.rows} rows for ${logged?.customers} customers`,
    );
    expect([...statuses]).toEqual([[200, BATCHES]]);
    expect(logged).toEqual({ rows: String(BATCHES * SIZE), customers: String(BATCHES * SIZE) });
  }, 180_000);
});
