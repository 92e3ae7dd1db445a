// The watchdog against the real PostgreSQL: a database that answers is never given up on, even when
// this thread is busy for longer than the timeout (a page of `ml score --intervals` scores for
// seconds without yielding). The frozen server is ml/cli/database-frozen.test.ts's.
import { afterEach, expect, test } from "bun:test";
import { DEFAULT_TEST_POSTGRES_URL } from "../testing/test-databases.ts";
import { databaseTimeoutSeconds, startDatabaseWatchdog } from "./database-watchdog.ts";
import { holdPostgresUrl } from "./open-postgres-urls.ts";

const url = process.env.DATABASE_URL_TEST ?? DEFAULT_TEST_POSTGRES_URL;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Keeps this thread busy for `ms` without yielding. */
function busy(ms: number): void {
  for (const until = performance.now() + ms; performance.now() < until; );
}

test("a database that answers is not given up on while this thread is busy past the timeout", async () => {
  const silences: number[] = [];
  cleanups.push(holdPostgresUrl(url));
  cleanups.push(
    startDatabaseWatchdog({ timeoutMs: 1_000, onUnresponsive: (_, ms) => silences.push(ms) }),
  );
  // Two rounds (busy from two points of the probe cycle): a clock-only watchdog gave up already.
  for (let round = 0; round < 2; round++) {
    await Bun.sleep(700); // the loop turns: probes go out and are answered
    busy(2_500); // longer than the timeout, with a probe maybe in flight
  }
  await Bun.sleep(1_500);
  expect(silences).toEqual([]);
});

test("nor while this thread yields only between long slices (a loaded machine's `ml score`)", async () => {
  // Each turn of the event loop takes 400 ms: a probe that needs several round trips (a fresh
  // connection's connect, start-up and query) outlasts the 1 s timeout by turns alone. Under CI's
  // load `ml score --to` gave up on its healthy DATABASE_URL so, instead of on its frozen target.
  const silences: number[] = [];
  cleanups.push(holdPostgresUrl(url));
  cleanups.push(
    startDatabaseWatchdog({ timeoutMs: 1_000, onUnresponsive: (_, ms) => silences.push(ms) }),
  );
  await Bun.sleep(700); // the first probe connects while the loop is free, as a command's would
  // 3 s of such turns: a fresh connection per probe (three or four turns) gave up within them.
  for (const until = performance.now() + 3_000; performance.now() < until; ) {
    busy(400);
    await new Promise((r) => setImmediate(r));
  }
  await Bun.sleep(1_000);
  expect(silences).toEqual([]);
});

test("ML_DATABASE_TIMEOUT_SECONDS: default 30, 0 turns it off, anything else is refused", () => {
  expect(databaseTimeoutSeconds({})).toBe(30);
  expect(databaseTimeoutSeconds({ ML_DATABASE_TIMEOUT_SECONDS: "0" })).toBe(0);
  expect(databaseTimeoutSeconds({ ML_DATABASE_TIMEOUT_SECONDS: "2.5" })).toBe(2.5);
  for (const bad of ["-1", "1e3", "ten", "0x10"]) {
    expect(() => databaseTimeoutSeconds({ ML_DATABASE_TIMEOUT_SECONDS: bad })).toThrow(
      "ML_DATABASE_TIMEOUT_SECONDS",
    );
  }
});
