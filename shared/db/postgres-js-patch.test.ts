// postgres.js 3.4.9 as installed here (mended by scripts/patch-postgres.mjs): a connection whose
// socket dies at a bad moment comes back, and a dead transaction does not end the process. Each
// runtime the services run on is a real child process against the real PostgreSQL; a client
// whose transaction died can still be closed.

import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error plain JavaScript (run by Node and Bun at install time), no declarations
import { MARK, patchConnectionFile, patchPostgres } from "../../scripts/patch-postgres.mjs";
import { DEFAULT_TEST_POSTGRES_URL } from "../testing/test-databases.ts";

const repoRoot = join(import.meta.dir, "..", "..");
const script = join(repoRoot, "shared", "testing", "postgres-js-socket-deaths.mjs");
const url = process.env.DATABASE_URL_TEST ?? DEFAULT_TEST_POSTGRES_URL;

interface SocketDeaths {
  warmUp: string;
  queued: string;
  afterQueued: string[];
  transaction: string;
  afterTransaction: string[];
  end: string;
  typesFailed: string;
  startupRefused: string;
  endAfterRefused: string;
  afterFailedRows: string;
  uncaught: string[];
}

function runUnder(runtime: string): SocketDeaths {
  const child = spawnSync(runtime, [script, url], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (child.status !== 0) throw new Error(`${runtime} exited ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as SocketDeaths;
}

describe("postgres.js when its socket dies", () => {
  for (const runtime of ["node", process.execPath]) {
    const name = runtime === "node" ? "Node" : "Bun";
    test(`${name}: the connection answers again, nothing is thrown outside a promise`, () => {
      const seen = runUnder(runtime);
      expect(seen.warmUp).toBe("1");
      // The query in flight fails honestly and fast.
      expect(seen.queued).toStartWith("CONNECTION_CLOSED");
      // Unmended (Bun): every later query on the connection waited out connect_timeout, for good.
      expect(seen.afterQueued).toEqual(["3", "4"]);
      expect(seen.transaction).toStartWith("CONNECTION_CLOSED");
      // Unmended (Node): the rollback written after the socket closed threw from setImmediate
      // (the process ended) and the connection never answered again. Mended, at most the query
      // queued behind the dead transaction fails, at once.
      expect(seen.uncaught).toEqual([]);
      expect(seen.afterTransaction.slice(1)).toEqual(["8", "9"]);
      expect(seen.afterTransaction[0]).toMatch(/^(7|CONNECTION_CLOSED after \d{1,3} ms)$/);
      // Half-mended (the write timer only), end() waited for the dead transaction's query forever.
      expect(seen.end).toBe("ended");
      // Unmended, the dropped array-types promise was an unhandled rejection (the process ends).
      // The caller's own query may meet the same 1 ms timeout: an answer or a handled 57014.
      expect(seen.typesFailed).toMatch(/^(12|57014 after \d+ ms)$/);
      // The socket gone while a connection started up and the reconnection refused: the query
      // fails, and end() returns. Unmended it waited for the rejected array-types query forever.
      // It fails as the close found it (CONNECTION_CLOSED) or at the refused reconnection,
      // whichever comes first (both seen, on Node and on Bun).
      expect(seen.startupRefused).toMatch(/^(ECONNREFUSED|CONNECTION_CLOSED)/);
      expect(seen.endAfterRefused).toBe("ended");
      // After a query that failed midway through its rows, the next one's rows are its own.
      expect(seen.afterFailedRows).toBe('[{"one":1}]');
    });
  }
});

describe("scripts/patch-postgres.mjs", () => {
  const installed = join(repoRoot, "node_modules", "postgres");

  test("the install left every build mended, and patching again changes nothing", () => {
    const builds = ["src", "cjs/src", "cf/src"].map((dir) => join(installed, dir, "connection.js"));
    const before = builds.map((file) => readFileSync(file, "utf8"));
    expect(before.map((text) => text.includes(MARK))).toEqual([true, true, true]);
    expect(patchPostgres(installed)).toContain("src/connection.js already patched");
    expect(builds.map((file) => readFileSync(file, "utf8"))).toEqual(before);
  });

  test("a release whose text differs is refused with the file and what to do", () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-patch-"));
    try {
      const file = join(dir, "connection.js");
      writeFileSync(file, "function nextWrite(fn) { return socket.write(chunk, fn) }\n");
      expect(() => patchConnectionFile(file)).toThrow(
        /connection\.js: expected the text to patch once, found it 0 times .*update scripts\/patch-postgres\.mjs/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
