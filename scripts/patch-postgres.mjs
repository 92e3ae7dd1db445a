// Mends postgres.js 3.4.9 in node_modules where a connection the database closes breaks the
// client (run by `postinstall` and by each Dockerfile after `bun install`; plain JavaScript so
// Node and Bun both run it; idempotent). Each edit says what it mends:
//  - a small write is deferred with setImmediate and scheduled only while its timer variable is
//    null, but teardown cancelled the timer without nulling it: a connection whose socket died with
//    a write queued never sent again (every query on it: CONNECT_TIMEOUT, until a restart);
//  - a write made after the socket was gone (a transaction's rollback) threw from the immediate,
//    outside any promise, and ended the process (upstream porsager/postgres#1168); and end(),
//    called while that rollback waited for its immediate (`ml forget` whose backend was
//    terminated during its switch: it closed the client at once), waited for ever: the
//    rollback is failed there, which is the connection's end;
//  - a connection terminated while starting up rejected its array-types query unhandled, which
//    also ended the process (porsager/postgres#1192, #1223);
//  - the query in flight when the socket closed stayed the connection's, so end() waited for it
//    forever and a start-up error was replayed onto the next connection's first query; so did
//    one rejected by a socket error, such as a refused reconnection while a connection started up;
//  - end() called while a connection was reserved (a transaction) or had a query in flight waited
//    for that connection to finish it, and a socket that closed first never settled it: end()
//    waited forever (a CLI whose migration's host went away spun at 100% CPU under Bun);
//  - a query that failed after some of its rows had come (an error on a later row, a cancel, a
//    backend terminated) left the row counter where it was, and the next query on the connection
//    resolved with that many holes before its own rows (upstream porsager/postgres#1119, #1181):
//    a keyed decision's lookup met `undefined` and answered 500, and `const [row] = …` reads such
//    a result as "no row".
// `shared/db/postgres-js-patch.test.ts` and the "ends the service's connections" test in
// services/reliability/idempotent-outages.test.ts reproduce these and fail if an install leaves
// them unmended.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const MARK = "/* purchase-prediction: postgres.js patch 7 */";

/** [what 3.4.x has, what it becomes]; each must occur exactly once in every build. */
const EDITS = [
  [
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      query = null\n      ended && (ended(), ending = ended = null)\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    if (socket) {",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {",
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)",
  ],
  // The array-types query a new connection runs first: its promise was dropped, so a backend
  // terminated during start-up (pg_terminate_backend, a failover) rejected it unhandled and ended
  // the process (upstream porsager/postgres#1192, #1223). The connection's close reports it.
  [
    "        return fetchArrayTypes()\n",
    "        return fetchArrayTypes().catch(() => { /* reported by the connection's close */ })\n",
  ],
  // The query in flight was just rejected (here or by the socket's error): forget it, or end()
  // waits for it forever (a CLI whose database stopped under it never exits).
  [
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n    query = results = errorResponse = null\n    result = new Result()\n",
  ],
  // A socket error (a refused reconnection, a reset) rejected the query in flight but left it the
  // connection's: end() waited for it forever when no close followed (`ml train --register`
  // whose PostgreSQL stopped while its connection started up never exited).
  [
    "    errored(err)\n    while (sent.length)\n",
    "    errored(err)\n    query = null\n    while (sent.length)\n",
  ],
  // end() on a connection that was busy (reserved by a transaction, a query in flight) waits for
  // it: ReadyForQuery or terminate() settles that wait. A socket that closed first did neither,
  // so end() never returned (`migrate()` of a CLI whose embedded host exited mid-migration: the
  // process then had nothing left to run and, under Bun, spun at 100% CPU for good). The
  // connection is closed: it has ended.
  [
    "    onclose(connection, Errors.connection('CONNECTION_CLOSED', options, socket))\n  }\n",
    "    onclose(connection, Errors.connection('CONNECTION_CLOSED', options, socket))\n    ended && (ended(), ending = ended = null)\n  }\n",
  ],
  // A query that failed after some of its rows (ErrorResponse, then ReadyForQuery; or the socket
  // closed) left `rows` where it was: the next query's rows were stored from that index, after
  // holes (porsager/postgres#1119, #1181). Reset with the result it counts.
  [
    "    result = new Result()\n    closedTime = performance.now()\n",
    "    result = new Result()\n    rows = 0\n    closedTime = performance.now()\n",
  ],
  [
    "    query = results = errorResponse = null\n    result = new Result()\n    connectTimer.cancel()\n",
    "    query = results = errorResponse = null\n    result = new Result()\n    rows = 0\n    connectTimer.cancel()\n",
  ],
];

/** The three builds postgres.js ships: ESM (Bun, Deno), CommonJS, Cloudflare Workers. */
const BUILDS = ["src/connection.js", "cjs/src/connection.js", "cf/src/connection.js"];

function occurrences(text, part) {
  return text.split(part).length - 1;
}

/** Patches one file; returns what happened, or throws when the text is not the one expected. */
export function patchConnectionFile(file) {
  const text = readFileSync(file, "utf8");
  if (text.includes(MARK)) return "already patched";
  if (text.includes("/* purchase-prediction:")) {
    throw new Error(
      `${file}: patched by an earlier scripts/patch-postgres.mjs; reinstall (npm ci)`,
    );
  }
  let patched = text;
  for (const [from, to] of EDITS) {
    const count = occurrences(patched, from);
    if (count !== 1) {
      throw new Error(
        `${file}: expected the text to patch once, found it ${count} times (${JSON.stringify(from.split("\n")[0])}); ` +
          "postgres.js changed: check whether the new release mends what this script does and update scripts/patch-postgres.mjs",
      );
    }
    patched = patched.replace(from, () => to);
  }
  writeFileSync(file, patched);
  return "patched";
}

/** Patches every build of the postgres package at `packageDir`. */
export function patchPostgres(packageDir) {
  const { version } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const results = BUILDS.filter((build) => existsSync(join(packageDir, build))).map(
    (build) => `${build} ${patchConnectionFile(join(packageDir, build))}`,
  );
  return `postgres ${version}: ${results.join(", ")}`;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const packageDir = join(root, "node_modules", "postgres");
  if (!existsSync(join(packageDir, "package.json"))) {
    console.log("patch-postgres: no node_modules/postgres here, nothing to patch");
  } else {
    console.log(`patch-postgres: ${patchPostgres(packageDir)}`);
  }
}
