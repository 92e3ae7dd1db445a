// The wire-protocol server over one PGlite session: clients' transactions never interleave, a
// client that vanishes (or idles) mid-transaction is rolled back and frees the session, and the
// ReadyForQuery parsing that decides when a client's turn ends.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { lastReadyStatus, serveOverWire, type WireServer } from "./wire-server.ts";

setDefaultTimeout(60_000);
let pg: PGlite;
let server: WireServer;
const clients: postgres.Sql[] = [];
const client = (max = 1) => {
  const sql = postgres({
    host: "127.0.0.1",
    port: server.port,
    user: "postgres",
    database: "postgres",
    max,
    prepare: false,
    onnotice: () => {},
  });
  clients.push(sql);
  return sql;
};

beforeAll(async () => {
  pg = await PGlite.create();
  server = await serveOverWire(pg, { idleInTransactionMs: 1500 });
  await pg.exec("create table t (id serial primary key, who text not null, n int not null)");
});
afterAll(async () => {
  for (const sql of clients) await sql.end({ timeout: 1 }).catch(() => {});
  await server.close();
  await pg.close();
});

test("lastReadyStatus reads the last ReadyForQuery of a backend output", () => {
  const z = (status: string) => Uint8Array.of(0x5a, 0, 0, 0, 5, status.charCodeAt(0));
  const other = Uint8Array.of(0x43, 0, 0, 0, 7, 0x61, 0x62, 0); // CommandComplete "ab"
  expect(lastReadyStatus(new Uint8Array([...other, ...z("T")]))).toBe("T");
  expect(lastReadyStatus(new Uint8Array([...z("T"), ...other, ...z("I")]))).toBe("I");
  expect(lastReadyStatus(other)).toBeNull();
});

test("concurrent transactions of many clients never see each other's partial work", async () => {
  const sqls = [client(3), client(3), client(1)];
  const work = sqls.flatMap((sql, c) =>
    Array.from({ length: 20 }, (_, i) =>
      sql.begin(async (tx) => {
        const who = `c${c}-${i}`;
        await tx`insert into t (who, n) values (${who}, 1)`;
        await new Promise((r) => setTimeout(r, 1)); // yield mid-transaction
        const [row] = await tx`select count(*)::int as n from t where who = ${who}`;
        await tx`insert into t (who, n) values (${who}, ${(row as { n: number }).n + 1})`;
      }),
    ),
  );
  await Promise.all(work);
  const rows =
    await (sqls[0] as postgres.Sql)`select who, array_agg(n order by n) as ns from t group by who`;
  expect(rows.length).toBe(60);
  for (const row of rows) expect(row.ns).toEqual([1, 2]);
});

test("a client that vanishes mid-transaction is rolled back; the others go on", async () => {
  const doomed = client();
  const reserved = await doomed.reserve();
  await reserved`begin`;
  await reserved`insert into t (who, n) values ('doomed', 1)`;
  const other = client();
  const waiting = other`select count(*)::int as n from t where who = 'doomed'`;
  // Kill the doomed client's socket without a ROLLBACK or Terminate.
  await doomed.end({ timeout: 0 });
  const [row] = await waiting;
  expect((row as { n: number }).n).toBe(0);
  expect(pg.isInTransaction()).toBe(false);
});

test("a client idle inside a transaction is disconnected after the timeout and rolled back", async () => {
  const idle = client();
  const reserved = await idle.reserve();
  await reserved`begin`;
  await reserved`insert into t (who, n) values ('idle', 1)`;
  const started = performance.now();
  const [row] = await client()`select count(*)::int as n from t where who = 'idle'`;
  const waited = performance.now() - started;
  expect((row as { n: number }).n).toBe(0);
  expect(waited).toBeGreaterThan(1000);
  expect(waited).toBeLessThan(10_000);
  reserved.release();
});

test("many queries pipelined on one connection each get their own answer, errors too", async () => {
  const sql = client(1);
  const answers = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      i % 10 === 5
        ? sql`select 1 / ${i - i}::int`
        : sql`select ${i}::int as i, ${`v${i}`}::text as v`,
    ),
  );
  expect(
    answers.map((a) => (a.status === "fulfilled" ? a.value[0] : String(a.reason.message))),
  ).toEqual(
    Array.from({ length: 50 }, (_, i) => (i % 10 === 5 ? "division by zero" : { i, v: `v${i}` })),
  );
});

test("named statements are reused on a connection and closed when it goes away", async () => {
  const names = async () =>
    (await pg.query<{ name: string }>("select name from pg_prepared_statements")).rows.map(
      (r) => r.name,
    );
  const before = new Set(await names());
  const sql = postgres({
    host: "127.0.0.1",
    port: server.port,
    user: "postgres",
    database: "postgres",
    max: 2,
    prepare: true,
    onnotice: () => {},
  });
  const count = async (i: number) => [
    ...(await sql`select count(*)::int + ${i}::int as n from t where who = 'x'`),
  ];
  expect(await count(0)).toEqual([{ n: 0 }]);
  const mine = (await names()).filter((n) => !before.has(n));
  expect(mine.length).toBeGreaterThan(0);
  for (let i = 1; i < 5; i++) expect(await count(i)).toEqual([{ n: i }]);
  // Parsed once, executed five times: no new statement.
  expect((await names()).filter((n) => !before.has(n))).toEqual(mine);
  await sql.end({ timeout: 1 });
  const deadline = Date.now() + 5000;
  while ((await names()).some((n) => mine.includes(n)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect((await names()).filter((n) => mine.includes(n))).toEqual([]);
});

test("closing with a drain lets a transaction under way commit and closes idle clients at once", async () => {
  const own = await PGlite.create();
  await own.exec("create table d (n int)");
  const drained = await serveOverWire(own);
  const connect = () =>
    postgres({
      host: "127.0.0.1",
      port: drained.port,
      user: "postgres",
      database: "postgres",
      max: 1,
      prepare: false,
      onnotice: () => {},
    });
  const [busy, idle] = [connect(), connect()];
  try {
    await idle`select 1`;
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const inside = new Promise<void>((entered) => {
      void busy
        .begin(async (tx) => {
          await tx`insert into d values (1)`;
          entered();
          await held; // the host starts closing here
          await tx`insert into d values (2)`;
        })
        .catch(() => {});
    });
    await inside;
    const started = Date.now();
    const closing = drained.close(5000);
    await new Promise((r) => setTimeout(r, 200));
    release();
    await closing;
    // The transaction finished (both rows), well before the drain's bound.
    expect((await own.query<{ n: number }>("select n from d order by n")).rows).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
    // No new connection is accepted.
    const late = connect();
    await expect(late`select 1`).rejects.toThrow();
    await late.end({ timeout: 1 }).catch(() => {});
  } finally {
    await busy.end({ timeout: 1 }).catch(() => {});
    await idle.end({ timeout: 1 }).catch(() => {});
    await own.close();
  }
});

test("end() returns when the server goes away under a client's transaction", async () => {
  // A CLI whose embedded host exited while its migration's transaction ran called end() on a
  // reserved connection; the socket closed before the transaction finished, and end() never
  // returned (the process had nothing left to run: Bun spun at 100% CPU for good). Mended by
  // scripts/patch-postgres.mjs (the closed connection settles its end()).
  const ownPg = await PGlite.create();
  const own = await serveOverWire(ownPg);
  const sql = postgres({
    host: "127.0.0.1",
    port: own.port,
    user: "postgres",
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  try {
    const inTransaction = Promise.withResolvers<void>();
    const transaction = sql
      .begin(async (tx) => {
        await tx`select 1`;
        inTransaction.resolve();
        await new Promise((r) => setTimeout(r, 300));
        await tx`select 2`;
      })
      .then(
        () => "committed",
        (e: { code?: string }) => e.code,
      );
    await inTransaction.promise;
    const ended = sql.end().then(() => "ended");
    await own.close(); // the host goes away: the socket closes under the reserved connection
    expect(await transaction).toBe("CONNECTION_CLOSED");
    const timeout = new Promise((r) => setTimeout(r, 5000, "end() still waiting after 5 s"));
    expect(await Promise.race([ended, timeout])).toBe("ended");
  } finally {
    await own.close().catch(() => {});
    await ownPg.close();
  }
});
