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
  expect(run("revoke", "1").status).toBe(1);
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
  expect(run("list").stdout).toMatch(/\tops\tdecide,admin\t/);
}, 60_000);
