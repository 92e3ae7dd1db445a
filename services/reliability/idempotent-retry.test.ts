// Idempotency-Key with real processes on one PostgreSQL: clients that retry every failed request
// (as they must, not knowing whether it was decided) across a kill -9 and restart of the decision
// service, and two services given the same keyed requests at once. With a key: one row and one
// answer per key, whatever the attempts. Without one, the same retries leave second decisions.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryRows } from "@pp/shared/db/database.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import {
  decisionReadyOn,
  forecastStubAroundTests,
  killHard,
  postDecision,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import { batchBody } from "../testing/keyed-batch-clients.ts";
import {
  type Answer,
  answersNotKept,
  retried,
  retryingClients,
  rowsAbout,
  sentToBoth,
} from "../testing/keyed-clients.ts";

const forecast = forecastStubAroundTests();
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase("postgres");
});
afterAll(async () => {
  await db?.cleanup();
});

/** A decision service process on `port` (the same one again after a kill), once it answers. */
const decisionOn = (port: number) =>
  decisionReadyOn(port, { FORECAST_URL: forecast.url, DATABASE_URL: db.options.databaseUrl ?? "" });

/** The rows the keyed and the unkeyed answers left in the log, printed with their counts. */
async function counted(
  what: string,
  keyed: Answer[],
  unkeyed: Answer[],
): Promise<[number, number]> {
  const keyedRows = await rowsAbout(db.handle.db, keyed);
  const unkeyedRows = await rowsAbout(db.handle.db, unkeyed);
  console.log(
    `${what}: keyed ${keyed.length} decisions (${retried(keyed)} retried) → ${keyedRows} rows; ` +
      `unkeyed ${unkeyed.length} (${retried(unkeyed)} retried) → ${unkeyedRows} rows`,
  );
  return [keyedRows, unkeyedRows];
}

describe("Idempotency-Key with real processes (PostgreSQL)", () => {
  test("retries across a kill -9 and restart: one row per keyed decision (unkeyed retries may decide twice)", async () => {
    const port = await freePort();
    let service = await decisionOn(port);
    // Keyed and unkeyed clients side by side; the service is killed mid-load and started again.
    const keyed = retryingClients(service.base, "k", { keyed: true });
    const unkeyed = retryingClients(service.base, "u", { keyed: false });
    await Bun.sleep(1500);
    await killHard(service);
    await Bun.sleep(300);
    service = await decisionOn(port);
    await Bun.sleep(1000);
    const [keyedAnswers, unkeyedAnswers] = await Promise.all([keyed.stop(), unkeyed.stop()]);
    expect(await stopGracefully(service)).toBe(0);

    const [keyedRows, unkeyedRows] = await counted(
      "kill -9 mid-load",
      keyedAnswers,
      unkeyedAnswers,
    );
    expect(retried(keyedAnswers)).toBeGreaterThan(0); // the kill did cut requests
    expect(keyedRows).toBe(keyedAnswers.length);
    // Each answered keyed decision is the row kept under its key, byte for byte.
    expect(await answersNotKept(db.handle.db, keyedAnswers)).toEqual([]);
    // Unkeyed: every answered decision is stored, and retries may have added more.
    expect(unkeyedRows).toBeGreaterThanOrEqual(unkeyedAnswers.length);
  }, 180_000);

  test("clients that time out and retry: with a key one row each; without, second decisions", async () => {
    const service = await decisionOn(await freePort());
    // First attempts give up after 4 ms: the service still decides many of them, unanswered.
    const keyed = retryingClients(service.base, "tk", { keyed: true, impatientMs: 4 });
    const unkeyed = retryingClients(service.base, "tu", { keyed: false, impatientMs: 4 });
    await Bun.sleep(3000);
    const [keyedAnswers, unkeyedAnswers] = await Promise.all([keyed.stop(), unkeyed.stop()]);
    expect(await stopGracefully(service)).toBe(0);
    const [keyedRows, unkeyedRows] = await counted("client timeouts", keyedAnswers, unkeyedAnswers);
    expect(retried(keyedAnswers)).toBeGreaterThan(10);
    expect(keyedRows).toBe(keyedAnswers.length);
    // The contrast that makes the key worth sending: the same retries without it decided twice.
    expect(unkeyedRows).toBeGreaterThan(unkeyedAnswers.length);
  }, 180_000);

  test("keyed batches whose first attempt times out: one row per customer, the same answer", async () => {
    const service = await decisionOn(await freePort());
    const send = (prefix: string, signal?: AbortSignal) =>
      postDecision(`${service.base}/decision/batch`, batchBody(prefix, 50, 5), {
        key: `batch-${prefix}`,
        ...(signal ? { signal } : {}),
      });
    let timedOut = 0;
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, b) => {
        const prefix = `batch${b}`;
        try {
          await (await send(prefix, AbortSignal.timeout(3))).text();
        } catch {
          timedOut++;
        }
        await Bun.sleep(200); // the abandoned attempt is decided meanwhile (or was answered)
        const first = await send(prefix);
        const again = await send(prefix);
        return { prefix, first: await first.text(), again: await again.text() };
      }),
    );
    expect(await stopGracefully(service)).toBe(0);
    let rows = 0;
    for (const a of answers) {
      expect(a.again).toBe(a.first);
      const [row] = await queryRows<{ n: string }>(
        db.handle.db,
        sql`select count(*)::text as n from decision_log where customer_id like ${`${a.prefix}-%`}`,
      );
      rows += Number(row?.n);
    }
    console.log(`40 keyed batches of 50, ${timedOut} first attempts timed out: ${rows} rows`);
    expect(timedOut).toBeGreaterThan(0);
    expect(rows).toBe(40 * 50);
  }, 180_000);

  test("two services given one key with two different batches at once: the loser writes no row", async () => {
    const [one, two] = await Promise.all([
      decisionOn(await freePort()),
      decisionOn(await freePort()),
    ]);
    // The same key, a batch of 10 to one service and of 30 other customers to the other: the
    // loser's answer row conflicts, and its rows beyond the winner's 10 used to be written anyway.
    const batch = (prefix: string, size: number) => batchBody(prefix, size, 100);
    const send = async (base: string, key: string, body: string) => {
      const res = await postDecision(`${base}/decision/batch`, body, { key });
      return { status: res.status, text: await res.text() };
    };
    const keys = Array.from({ length: 60 }, (_, k) => `mixed-${k}`);
    const outcomes = await Promise.all(
      keys.map(async (key) => {
        const [short, long] = await Promise.all([
          send(one.base, key, batch(`${key}-a`, 10)),
          send(two.base, key, batch(`${key}-b`, 30)),
        ]);
        return { key, short, long };
      }),
    );
    expect(await stopGracefully(one)).toBe(0);
    expect(await stopGracefully(two)).toBe(0);
    const counts = await queryRows<{ key: string; side: string; n: number }>(
      db.handle.db,
      sql`select split_part(customer_id, '-', 2) as key, split_part(customer_id, '-', 3) as side,
        count(*)::int as n from decision_log where customer_id like 'mixed-%'
        group by 1, 2`,
    );
    const rowsOf = (key: string, side: string) =>
      counts.find((c) => `mixed-${c.key}` === key && c.side === side)?.n ?? 0;
    let shortWon = 0;
    let longWon = 0;
    const wrong: string[] = [];
    for (const { key, short, long } of outcomes) {
      // One answer per key, the other a 422 (or a 409 while the first was in flight).
      const won = short.status === 200 ? "a" : "b";
      if (won === "a") shortWon++;
      else longWon++;
      const statuses = [short.status, long.status].sort().join(",");
      const expected = { a: won === "a" ? 10 : 0, b: won === "b" ? 30 : 0 };
      const got = { a: rowsOf(key, "a"), b: rowsOf(key, "b") };
      if (
        !["200,409", "200,422"].includes(statuses) ||
        got.a !== expected.a ||
        got.b !== expected.b
      )
        wrong.push(`${key}: ${short.status}/${long.status}, rows a ${got.a} b ${got.b}`);
    }
    console.log(
      `60 keys, two bodies each at once: the 10-customer batch won ${shortWon}, the 30-customer ` +
        `batch ${longWon}; keys with a wrong status or a loser's row: ${wrong.length}`,
    );
    expect(wrong).toEqual([]);
  }, 180_000);

  test("two services given the same keyed requests at once: one row per key, both answers equal", async () => {
    const [one, two] = await Promise.all([
      decisionOn(await freePort()),
      decisionOn(await freePort()),
    ]);
    const customers = Array.from({ length: 200 }, (_, i) => `twin-${i}`);
    const { answers, differing } = await sentToBoth([one.base, two.base], customers);
    expect(await stopGracefully(one)).toBe(0);
    expect(await stopGracefully(two)).toBe(0);
    const rows = await rowsAbout(db.handle.db, answers);
    console.log(
      `two services, 200 keys sent to both at once: ${rows} rows, ${differing} answers differing`,
    );
    expect(rows).toBe(200);
    expect(differing).toBe(0);
  }, 180_000);
});
