// Upgrading from a version whose decision service kept its own database in DATA_DIR/decision
// (edc4b43, the fixture): keys CLI processes on that DATA_DIR see its key, its decisions and its
// active policy, once, also when two start together or the adoption is cut off before its rename,
// or a process was killed while it held the adoption lock.
import { afterAll, afterEach, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { queryRows } from "@pp/shared/db/database.ts";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { ApiKeyRing } from "../auth/api-key-ring.ts";

const cli = fileURLToPath(new URL("../cli/keys.ts", import.meta.url));
const fixture = fileURLToPath(
  new URL("./testing/fixtures/edc4b43-decision-store.sql", import.meta.url),
);
/** The key `keys create oldkey` printed on edc4b43 (the fixture keeps only its hash). */
const LEGACY_KEY = "ppk_6MBwPoEx5fImcqRQLQfl8XyFPHjN_AF0ElSdE0it_Kc";

const stores: TestDatabase[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.cleanup();
});

/**
 * The decision database as edc4b43 left it: the helper's migrated template (copied, not created:
 * creating a PGlite database takes ~12 s on a busy machine) emptied and given the fixture, the
 * old version's schema and rows. Made once per file; each test gets a copy of its directory.
 */
let legacyStore: Promise<TestDatabase> | null = null;
function legacyDecisionStore(): Promise<TestDatabase> {
  legacyStore ??= (async () => {
    const old = await openTestDatabase("pglite");
    await old.handle.close();
    const pg = await PGlite.create(join(old.options.dataDir as string, "pglite"));
    await pg.exec("drop schema public cascade; create schema public; drop schema drizzle cascade;");
    await pg.exec(readFileSync(fixture, "utf8"));
    await pg.close();
    return old;
  })();
  return legacyStore;
}
afterAll(async () => {
  const old = await legacyStore;
  if (old) rmSync(old.options.dataDir as string, { recursive: true, force: true });
});

/**
 * A DATA_DIR as edc4b43 left it, a copy of its decision database in DATA_DIR/decision/pglite, and
 * the shared store this process serves (so the CLI processes connect to it).
 */
async function oldDataDir(): Promise<TestDatabase> {
  const old = await legacyDecisionStore();
  const shared = await openTestDatabase("pglite");
  stores.push(shared);
  cpSync(old.options.dataDir as string, join(shared.options.dataDir as string, "decision"), {
    recursive: true,
  });
  return shared;
}

const listKeys = (store: TestDatabase, timeoutMs?: number) =>
  runBun(
    cli,
    ["list"],
    { DATA_DIR: store.options.dataDir as string, DECISION_DATA_DIR: "", DATABASE_URL: "" },
    timeoutMs ? { timeoutMs } : {},
  );

async function counts({ handle }: TestDatabase) {
  const [row] = await queryRows<{ d: number; k: number; p: number; active: string }>(
    handle.db,
    sql`select (select count(*)::int from decision_log) d, (select count(*)::int from api_keys) k,
      (select count(*)::int from policies) p,
      (select name || ' v' || version from policies where active) active`,
  );
  const key = await new ApiKeyRing({ database: async () => handle.db }).verify(LEGACY_KEY);
  return { ...row, key };
}

const adoptedLines = (out: string) => out.split("\n").filter((l) => l.startsWith("adopted"));
const expected = {
  d: 20,
  k: 1,
  p: 3,
  active: "upg-rules v1",
  key: { name: "oldkey", scopes: ["decide" as const] },
};

test("the old decision database joins the shared store once; its key, rows and policy stay", async () => {
  const store = await oldDataDir();
  const dataDir = store.options.dataDir as string;
  const first = await listKeys(store);
  expect(first.status).toBe(0);
  expect(first.stdout).toContain("oldkey");
  expect(adoptedLines(first.stderr)).toEqual([
    expect.stringContaining("20 decisions, 0 parked rows, 1 API keys, 3 policy versions"),
  ]);
  expect(existsSync(join(dataDir, "decision"))).toBe(false);
  expect(readdirSync(dataDir).filter((n) => n.startsWith("decision.adopted-"))).toHaveLength(1);

  expect(await counts(store)).toEqual(expected);
}, 60_000);

test("two processes at once adopt it once; cut off before the rename, the next run adds nothing", async () => {
  const store = await oldDataDir();
  const dataDir = store.options.dataDir as string;
  const both = await Promise.all([listKeys(store), listKeys(store)]);
  expect(both.map((r) => r.status)).toEqual([0, 0]);
  expect(both.flatMap((r) => adoptedLines(r.stderr))).toHaveLength(1);
  expect(await counts(store)).toEqual(expected);

  // As if the process died after its commit and before the rename: the old directory is back.
  const [kept] = readdirSync(dataDir).filter((n) => n.startsWith("decision.adopted-"));
  renameSync(join(dataDir, kept as string), join(dataDir, "decision"));
  const rerun = await listKeys(store);
  expect(adoptedLines(rerun.stderr)).toEqual([
    expect.stringContaining("0 decisions, 0 parked rows, 0 API keys, 0 policy versions"),
  ]);
  expect(await counts(store)).toEqual(expected);
}, 90_000);

/** A pid that has exited. */
const deadPid = () => spawnSync("true").pid;

// What a process killed while holding the adoption lock leaves in DATA_DIR/decision.adopt.lock:
// killed between creating the file and writing it (empty, or cut off mid-write), or after (its
// pid, as this version writes it and as the previous version wrote it: a bare pid). The file is
// fresh here (as just after the kill); an older one is the same, only without the wait.
test.each([
  ["empty", () => ""],
  ["half-written", () => '{"pid":'],
  ["naming a dead pid", () => JSON.stringify({ pid: deadPid(), instance: "gone" })],
  ["naming a dead pid (previous version: a bare pid)", () => String(deadPid())],
])(
  "an adoption lock a killed process left %s is taken over",
  async (_, content) => {
    const store = await oldDataDir();
    const dataDir = store.options.dataDir as string;
    const lock = join(dataDir, "decision.adopt.lock");
    writeFileSync(lock, content());
    const started = performance.now();
    const run = await listKeys(store, 45_000); // killed (status null) if it waits on the lock
    const seconds = (performance.now() - started) / 1000;
    expect({ status: run.status, seconds: seconds < 45 }).toEqual({ status: 0, seconds: true });
    expect(adoptedLines(run.stderr)).toEqual([
      expect.stringContaining("20 decisions, 0 parked rows, 1 API keys, 3 policy versions"),
    ]);
    expect(existsSync(lock)).toBe(false);
    expect(await counts(store)).toEqual(expected);
  },
  90_000,
);
