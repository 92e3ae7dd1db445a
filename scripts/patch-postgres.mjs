// Mends postgres.js 3.4.x's write scheduler in node_modules (run by `postinstall` and by each
// Docker image's install step; plain JavaScript so Node and Bun both run it, idempotent).
//
// Why: postgres.js defers a small write with setImmediate and schedules one only while its timer
// variable is null, but its two teardown paths (terminate, closed) cancel the timer without nulling
// it. A pooled connection whose socket died with a write queued then never sends anything again:
// every later query on it waits out connect_timeout (CONNECT_TIMEOUT, for good, until a restart).
// And a write made after the socket is gone (a transaction's rollback) throws from the immediate,
// outside any promise, and ends the process. Upstream: porsager/postgres#1168 (the guard), the
// teardown reset as patched downstream (LanternOps/breeze#3225). `shared/db/postgres-js-patch.test.ts`
// reproduces both on a real server and fails if an install leaves them unmended.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MARK = "/* purchase-prediction: write-scheduler patch */";

/** [what 3.4.x has, what it becomes]; each must occur exactly once in every build. */
const EDITS = [
  [
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    if (socket) {",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {",
  ],
  [
    "    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    "    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)",
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
  let patched = text;
  for (const [from, to] of EDITS) {
    const count = occurrences(patched, from);
    if (count !== 1) {
      throw new Error(
        `${file}: expected the text to patch once, found it ${count} times (${JSON.stringify(from.split("\n")[0])}); ` +
          "postgres.js changed: check whether the new release mends the write scheduler and update scripts/patch-postgres.mjs",
      );
    }
    patched = patched.replace(from, to);
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
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
  const packageDir = join(root, "node_modules", "postgres");
  if (!existsSync(join(packageDir, "package.json"))) {
    console.log("patch-postgres: no node_modules/postgres here, nothing to patch");
  } else {
    console.log(`patch-postgres: ${patchPostgres(packageDir)}`);
  }
}
