// The LISTEN connection on a throwaway PostgreSQL cluster: notifications arrive; after its backend
// is terminated and after the server is stopped and started again it listens anew (onListen each
// time, so callers catch up); every notification sent while listening arrives exactly once; and a
// closed listener stops retrying. Payloads are hostile strings (NUL is refused by PostgreSQL).

import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { freePort } from "../testing/free-port.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "../testing/throwaway-postgres.ts";
import { createDatabase, type DatabaseHandle } from "./client.ts";
import { listenForNotifications } from "./notification-listener.ts";

setDefaultTimeout(120_000);

const bin = postgresBinDirOrWarn("the LISTEN reconnection test");
const CHANNEL = 'pp "test" channel';
let cluster: ThrowawayPostgres | null = null;
afterAll(() => cluster?.destroy());

async function until(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

async function send(handle: DatabaseHandle, payloads: string[]): Promise<void> {
  for (const payload of payloads) {
    await handle.db.execute(sql`select pg_notify(${CHANNEL}, ${payload})`);
  }
}

const hostile = (round: string) =>
  Array.from(
    { length: 20 },
    (_, i) =>
      [
        `${round}${i}`,
        `${round}${i} \u{1F600} é`,
        `${round}${i} ${"x".repeat(7000)}`,
        `${round}${i}'";--`,
      ][i % 4] as string,
  );

test.skipIf(bin === null)(
  "LISTEN survives a terminated backend and a server restart; every notification once",
  async () => {
    cluster = ThrowawayPostgres.create(bin as string);
    const handle = await createDatabase({ databaseUrl: cluster.url });
    const listen = handle.listen;
    if (!listen) throw new Error("a PostgreSQL handle offers listen");
    const received: string[] = [];
    const errors: unknown[] = [];
    let listens = 0;
    const listener = listen(CHANNEL, {
      onNotify: (payload) => received.push(payload),
      onListen: () => listens++,
      onError: (error) => errors.push(error),
    });
    const sent: string[] = [];
    try {
      await until("the first LISTEN", () => listener.listening);
      sent.push(...hostile("a"));
      await send(handle, hostile("a"));
      await until("round a", () => received.length === sent.length);

      // The listening backend is terminated (an administrator, a proxy, a failover).
      await handle.db.execute(
        sql`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen%'`,
      );
      await until("LISTEN after the terminated backend", () => listens === 2);
      expect(errors.length).toBeGreaterThanOrEqual(1);
      sent.push(...hostile("b"));
      await send(handle, hostile("b"));
      await until("round b", () => received.length === sent.length);

      // The server stops for two seconds (retries fail meanwhile), then starts again.
      cluster.stop();
      await until("the loss to be seen", () => !listener.listening);
      await Bun.sleep(2000);
      const errorsWhileDown = errors.length;
      cluster.start();
      await until("LISTEN after the restart", () => listens === 3);
      expect(errorsWhileDown).toBeGreaterThan(2); // it kept trying while the server was down
      sent.push(...hostile("c"));
      await send(handle, hostile("c"));
      await until("round c", () => received.length === sent.length);
      await Bun.sleep(200);
      expect(received).toEqual(sent); // all 60, in order, none twice
    } finally {
      await handle.close();
    }
    expect(listener.listening).toBe(false);
  },
);

test("a closed listener stops retrying a server that never answers", async () => {
  const port = await freePort(); // nothing listens there
  const errors: unknown[] = [];
  let listens = 0;
  const listener = listenForNotifications(
    ({ onnotify, onclose }) =>
      postgres(`postgres://postgres@127.0.0.1:${port}/postgres`, {
        max: 1,
        onclose,
        connect_timeout: 1,
        ...({ onnotify } as object),
      }),
    "anything",
    { onNotify: () => {}, onListen: () => listens++, onError: (e) => errors.push(e) },
    () => 10,
  );
  await until("a few failed attempts", () => errors.length >= 3);
  await listener.close();
  const afterClose = errors.length;
  await Bun.sleep(300);
  expect(errors.length).toBe(afterClose);
  expect(listens).toBe(0);
  expect(listener.listening).toBe(false);
});
