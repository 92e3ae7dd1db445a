// `keys create NAME` as a real process against a PostgreSQL test database: the key is printed
// once, only its hash is stored, and the service's key ring accepts it (with its scopes) until
// revoked.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { ApiKeyRing } from "../auth/api-key-ring.ts";

const cli = fileURLToPath(new URL("./keys.ts", import.meta.url));
let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await openTestDatabase("postgres");
}, 30_000);
afterAll(() => testDb.cleanup());

const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    env: { ...process.env, DATABASE_URL: testDb.options.databaseUrl as string },
    encoding: "utf8",
    timeout: 30_000,
  });

test("keys create prints a key once; the ring accepts it; revoke stops it", async () => {
  const created = run("create", "crm-team");
  expect(created.status).toBe(0);
  const key = created.stdout.trim();
  expect(key).toMatch(/^ppk_[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toContain('"crm-team"');

  const dump = JSON.stringify(await testDb.handle.db.execute(sql`select * from api_keys`));
  expect(dump).not.toContain(key);
  expect(dump).toContain(new Bun.CryptoHasher("sha256").update(key).digest("hex"));

  const ring = () => new ApiKeyRing({ database: async () => testDb.handle.db });
  expect(await ring().verify(key)).toEqual({ name: "crm-team", scopes: ["decide"] });
  expect(await ring().verify(`${key}x`)).toBeNull();

  const listed = run("list");
  expect(listed.stdout).toContain("crm-team");
  expect(listed.stdout).not.toContain(key);

  expect(run("revoke", "1").status).toBe(0);
  expect(await ring().verify(key)).toBeNull();
  // Run again (its first run killed after its UPDATE landed, say): it says the key is revoked,
  // not that there is no such key; an id never given says so.
  const again = run("revoke", "1");
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/^key #1 "crm-team" was already revoked at \d{4}-\d\d-\d\dT/);
  expect(run("revoke", "99").stderr.trim()).toBe("no key with id 99");
  expect(run("create").status).toBe(2);
  // A name that cannot be one is a usage error, like the other arguments', shown escaped.
  const badName = run("create", "no spaces\u001b[31m allowed");
  expect(badName.status).toBe(2);
  expect(badName.stderr).toContain('(got "no spaces\\u001b[31m allowed")');
  expect(run("create", "").status).toBe(2);
  expect(run("create", "x", "--scope", "root").status).toBe(2);
}, 60_000);

test("keys create --scope admin; list shows scopes", async () => {
  const created = run("create", "ops", "--scope", "admin");
  expect(created.status).toBe(0);
  const key = created.stdout.trim();
  const ring = new ApiKeyRing({ database: async () => testDb.handle.db });
  expect(await ring.verify(key)).toEqual({ name: "ops", scopes: ["decide", "admin"] });
  const listed = run("list").stdout.split("\n");
  // A header names the columns (there was none: six bare tab-separated fields).
  expect(listed[0]).toBe("id\tname\tscopes\tcreated\tstate\texpiry");
  expect(listed.slice(1).join("\n")).toMatch(/\tops\tdecide,admin\t/);
}, 60_000);

test("keys on a store it cannot open: one line naming it, no stack", async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { freePort } = await import("@pp/shared/testing/free-port.ts");
  const dir = mkdtempSync(join(tmpdir(), "pp-keys-store-"));
  const notAFolder = join(dir, "a-file");
  writeFileSync(notAFolder, "");
  const cases: [Record<string, string>, RegExp][] = [
    [
      { DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${await freePort()}/db` },
      /^error: could not open the database at DATABASE_URL=postgres:\/\/u:\*\*\*@127\.0\.0\.1:\d+\/db: .*ECONNREFUSED/,
    ],
    [
      { DATABASE_URL: "", DATA_DIR: notAFolder },
      /^error: could not open the embedded store at DATA_DIR=\S+a-file: EEXIST/,
    ],
  ];
  try {
    for (const [env, expected] of cases) {
      const listed = spawnSync(process.execPath, [cli, "list"], {
        env: { ...process.env, DECISION_DATA_DIR: "", ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(listed.status).toBe(1);
      // It was Bun's report of an uncaught error: source lines, a stack, the driver's internals.
      const lines = listed.stderr.trim().split("\n");
      expect(lines, listed.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
      expect(listed.stderr).not.toContain("s3cret");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test("keys --help prints the usage, exit 0, without opening a store", async () => {
  for (const flag of ["--help", "-h"]) {
    const helped = spawnSync(process.execPath, [cli, flag], {
      // A store it could not open: --help must not need one.
      env: { ...process.env, DATABASE_URL: "postgres://u@127.0.0.1:1/db" },
      encoding: "utf8",
      timeout: 30_000,
    });
    // It was "Unknown option '--help'", the usage, exit 2.
    expect(helped.status, helped.stderr).toBe(0);
    expect(helped.stdout).toStartWith("usage: keys create NAME");
    expect(helped.stderr).toBe("");
  }
});
