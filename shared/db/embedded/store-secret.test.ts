// The embedded store's wire server on 127.0.0.1 took any connection: any local user or process
// connected with any user name and no password (`psql -h 127.0.0.1 -p <port> -U whoever`) and
// read the API keys' hashes and every decision, and could insert an admin key. The host now
// writes a random secret into its lock (mode 0600, its OS user's alone) and a connection must
// send it before its startup (this project's clients, from the lock) or as the password (psql).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { createDatabase, type DatabaseHandle } from "../client.ts";
import { lockPath, readLock } from "./server-lock.ts";

let dir: string;
let handle: DatabaseHandle;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-store-secret-"));
  handle = await createDatabase({ dataDir: dir });
  await handle.migrate();
}, 60_000);
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a connection without the lock's secret is refused; the project's clients connect", async () => {
  const lock = readLock(dir);
  expect(lock?.port).toBeGreaterThan(0);
  expect(lock?.secret?.length).toBeGreaterThanOrEqual(40);
  expect(statSync(lockPath(dir)).mode & 0o077).toBe(0);
  const outsider = postgres({
    host: "127.0.0.1",
    port: lock?.port as number,
    user: "whoever",
    database: "anything",
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    const read = await outsider`select count(*) from api_keys`.catch((e: Error) => e);
    expect(String(read)).toContain("password authentication failed");
  } finally {
    await outsider.end({ timeout: 1 });
  }
  // psql's way: the secret as the password (PGPASSWORD).
  const withPassword = postgres({
    host: "127.0.0.1",
    port: lock?.port as number,
    user: "postgres",
    database: "postgres",
    password: lock?.secret as string,
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    const [row] = await withPassword`select count(*)::int as n from api_keys`;
    expect(row?.n).toBe(0);
  } finally {
    await withPassword.end({ timeout: 1 });
  }
  // A second client of the store (another process's view: it reads the lock) still works.
  const other = await createDatabase({ dataDir: dir });
  try {
    const rows = await other.db.execute(sql`select 1 as one`);
    expect(JSON.stringify(rows)).toContain("1");
  } finally {
    await other.close();
  }
});

test("the database's files are the OS user's alone (0700), an older store's too once reopened", async () => {
  expect(statSync(join(dir, "pglite")).mode & 0o077).toBe(0);
  const older = mkdtempSync(join(tmpdir(), "pp-store-mode-"));
  try {
    const first = await createDatabase({ dataDir: older });
    await first.migrate();
    await first.close();
    chmodSync(join(older, "pglite"), 0o755); // as every store before this release was made
    const reopened = await createDatabase({ dataDir: older });
    await reopened.migrate();
    expect(statSync(join(older, "pglite")).mode & 0o777).toBe(0o700);
    await reopened.close();
  } finally {
    rmSync(older, { recursive: true, force: true });
  }
}, 60_000);
