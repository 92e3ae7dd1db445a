// Test support, run as a child process under Node and Bun (plain JavaScript for both): kills a
// postgres.js connection's socket at the two moments that broke postgres.js 3.4.9 and prints one
// JSON line of what every query afterwards got. See scripts/patch-postgres.mjs.
//   node shared/testing/postgres-js-socket-deaths.mjs postgres://postgres@127.0.0.1:5432/test

import net from "node:net";
import postgres from "postgres";

const url = new URL(process.argv[2] ?? "postgres://postgres@127.0.0.1:5432/test");
const uncaught = [];
process.on("uncaughtException", (error) => uncaught.push(String(error)));

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
await new Promise((resolve) => setTimeout(resolve, 50));
result.uncaught = uncaught;
await sql.end({ timeout: 1 });
console.log(JSON.stringify(result));
