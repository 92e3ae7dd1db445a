// Test support, run as a child process under Node and Bun (plain JavaScript for both): kills a
// postgres.js connection's socket at the two moments that broke postgres.js 3.4.9 and prints one
// JSON line of what every query afterwards got, and whether the client could then be closed.
// See scripts/patch-postgres.mjs.
//   node shared/testing/postgres-js-socket-deaths.mjs postgres://postgres@127.0.0.1:5432/test

import net from "node:net";
import postgres from "postgres";

const url = new URL(process.argv[2] ?? "postgres://postgres@127.0.0.1:5432/test");
const uncaught = [];
process.on("uncaughtException", (error) => uncaught.push(String(error)));
process.on("unhandledRejection", (error) => uncaught.push(`unhandled: ${error}`));

let socket;
const sql = postgres(url.href, {
  max: 1,
  connect_timeout: 2,
  onnotice: () => {},
  // The driver's own socket, kept so the test can kill it at an exact moment.
  socket: () =>
    new Promise((resolve, reject) => {
      const s = net.connect(Number(url.port || 5432), url.hostname);
      socket = s;
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    }),
});

/** A query's outcome in a few characters: its answer, or the error code and how long it took. */
async function outcome(run) {
  const started = performance.now();
  try {
    return String(await run());
  } catch (error) {
    return `${error.code ?? error.message} after ${Math.round(performance.now() - started)} ms`;
  }
}
const ask = (n) => outcome(async () => (await sql`select ${n}::int as n`)[0].n);

const result = { warmUp: await ask(1) };
// 1. The socket dies while a small query waits in the driver's write buffer.
const queued = ask(2);
socket.destroy();
result.queued = await queued;
result.afterQueued = [await ask(3), await ask(4)];
// 2. A transaction's connection dies: its rollback is written after the socket is gone.
result.transaction = await outcome(() =>
  sql.begin(async (tx) => {
    await tx`select 5`;
    socket.destroy();
    await tx`select 6`;
  }),
);
result.afterTransaction = [await ask(7), await ask(8), await ask(9)];
// 3. Then the client is closed, as a CLI does when its run failed: end() must not wait for the
// dead transaction's query (a CLI whose database stopped under it never exited).
await outcome(() =>
  sql.begin(async (tx) => {
    await tx`select 10`;
    socket.destroy();
    await tx`select 11`;
  }),
);
let waited;
result.end = await outcome(() =>
  Promise.race([
    sql.end().then(() => "ended"),
    new Promise((resolve) => {
      waited = setTimeout(() => resolve("still waiting after 5 s"), 5000);
    }),
  ]),
);
clearTimeout(waited);
// 4. A new connection's first (array-types) query fails: cancelled here by a 1 ms
// statement_timeout, as a terminated backend does mid start-up (porsager/postgres#1192).
const hasty = postgres(url.href, {
  max: 1,
  onnotice: () => {},
  connection: { statement_timeout: 1 },
});
result.typesFailed = await outcome(async () => (await hasty`select 12::int as n`)[0].n);
await hasty.end({ timeout: 1 });
// 5. The database goes away while a new connection starts up (its array-types query written) and
// refuses the reconnection: the caller's query fails, then end() must return. It waited for the
// rejected array-types query forever (`ml train --register` whose PostgreSQL stopped never exited).
let attempts = 0;
const starting = postgres(url.href, {
  max: 1,
  onnotice: () => {},
  socket: () =>
    new Promise((resolve, reject) => {
      attempts += 1;
      if (attempts > 1)
        return reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
      const s = net.connect(Number(url.port || 5432), url.hostname);
      const write = s.write.bind(s);
      let writes = 0;
      // Write 1 is the start-up message, write 2 the array-types query: the socket dies after it.
      s.write = (...args) => {
        const written = write(...args);
        if (++writes === 2) setImmediate(() => s.destroy());
        return written;
      };
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    }),
});
result.startupRefused = await outcome(async () => (await starting`select 13::int as n`)[0].n);
let endWaited;
result.endAfterRefused = await outcome(() =>
  Promise.race([
    starting.end().then(() => "ended"),
    new Promise((resolve) => {
      endWaited = setTimeout(() => resolve("still waiting after 5 s"), 5000);
    }),
  ]),
);
clearTimeout(endWaited);
// A query that fails on a later row, after some of its rows came: the next query on the
// connection gets its own rows only. Unmended its result began with one hole per row that came
// (porsager/postgres#1119): `[undefined × 4, {one: 1}]`.
const rowsAfter = postgres(url.href, { max: 1, onnotice: () => {} });
await rowsAfter`select 10 / (5 - x) as v from generate_series(1, 10) x`.catch(() => {});
result.afterFailedRows = JSON.stringify([...(await rowsAfter`select 1 as one`)]);
await rowsAfter.end({ timeout: 1 });
await new Promise((resolve) => setTimeout(resolve, 50));
result.uncaught = uncaught;
await sql.end({ timeout: 1 });
console.log(JSON.stringify(result));
