// `ml forget` losing its PostgreSQL connection while it switches a version's rewritten files:
// real processes, a real server. Before the switch commits (its backend ended with
// pg_terminate_backend while it waits on the row's lock), and with the COMMIT delivered but its
// reply lost (a TCP proxy in front of the server cuts the connection as the reply arrives). After
// each: every version loads and verifies as the services load it, the interrupted run says what
// happened in one line and exits non-zero, and a rerun leaves the customer in no file and no row.
// The erase before the switch, its COMMIT's reply lost, too.
import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  setDefaultTimeout,
  test,
} from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { runBun, startBun, stopProc } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import {
  filesNaming,
  registerNamingVersion,
  unloadableVersions,
} from "../testing/forget-fixtures.ts";

setDefaultTimeout(120_000);

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "ml/cli.ts");
const CUSTOMER = "cust-lost-7";
const MODEL = "m";
/** What the version's read warned about: the customer standing out (metrics.json's data). */
const NAMED = { dominant_customer: { id: CUSTOMER, days: 200 } };
const dir = mkdtempSync(join(tmpdir(), "pp-forget-connection-lost-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows of any table naming the customer (the features and the decision tables). */
async function rowsNaming(t: TestDatabase): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.handle.db,
    sql`select (select count(*) from customer_features where customer_id = ${CUSTOMER})::int as n`,
  );
  return Number(row?.n);
}

/** The interrupted run: non-zero, one line naming the lost connection, no stack trace. */
function saysConnectionLost(run: { status: number | null; stdout: string; stderr: string }) {
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("lost the connection to the database");
  expect(run.stderr).toContain("run ml forget again with the same ids to finish");
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).not.toContain("forgot 1 customer");
}

async function rerunFinishes(t: TestDatabase, env: Record<string, string>, store: string) {
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(store));
  const rerun = await runBun(cli, ["forget", CUSTOMER], env);
  expect(rerun.stderr).toBe("");
  expect(rerun.stdout).not.toContain("warning:");
  expect(rerun.status).toBe(0);
  expect(await unloadableVersions(registry, MODEL)).toEqual([]);
  expect(filesNaming(store, CUSTOMER)).toEqual([]);
  expect(await rowsNaming(t)).toBe(0);
}

/** The switch of a version's files (rewriteArtifacts), and the erase of the customers' rows. */
const SWITCH = /update "model_versions" set "artifact_uri"/i;
const ERASE = /delete from "customer_features"/i;

/**
 * A proxy to `target` that, on a connection that has sent a statement matching `marker` and then
 * its transaction's COMMIT, cuts the connection as the server's reply arrives, forwarding none of
 * it: the commit lands, unheard. Once: a rerun through it is left alone.
 */
async function commitReplyCutter(target: URL, marker: RegExp) {
  let cut = 0;
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    let switching = false;
    let committing = false;
    // postgres.js prepares "commit" once per connection, then sends only its statement's name.
    let commitStatement: string | null = null;
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      commitStatement ??= /([a-z0-9]{4,})\0commit\0/i.exec(text)?.[1] ?? null;
      if (cut === 0 && marker.test(text))
        switching = true; // once: a rerun goes through
      else if (switching && /\bcommit\b/i.test(text)) committing = true;
      else if (switching && commitStatement && text.includes(`\0${commitStatement}\0`))
        committing = true;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!committing) {
        client.write(chunk);
        return;
      }
      cut++;
      client.destroy();
      upstream.destroy();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = new URL(target.href);
  url.port = String((server.address() as { port: number }).port);
  return { url: url.href, cuts: () => cut, close: () => server.close() };
}

/** An advisory lock the switch of a version's files waits on (HOLD_SWITCH) while the test holds it. */
const SWITCH_LOCK = 4242;
const HOLD_SWITCH = `
  create or replace function hold_switch() returns trigger language plpgsql as $$
  begin
    if new.artifact_uri is distinct from old.artifact_uri then
      perform pg_advisory_xact_lock(${SWITCH_LOCK});
    end if;
    return new;
  end $$;
  create trigger hold_switch before update on model_versions
    for each row execute function hold_switch();`;

describe("ml forget's switch losing its PostgreSQL connection", () => {
  // A database per test: the other's versions, in another store, would be warned about.
  let t: TestDatabase;
  beforeEach(async () => {
    t = await openTestDatabase("postgres");
  });
  afterEach(() => t?.cleanup());

  test("the COMMIT lands, its reply lost: loadable, said so, a rerun finishes", async () => {
    const store = join(dir, "lost-reply");
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(store));
    const version = await registerNamingVersion(registry, MODEL, NAMED, ["k1", CUSTOMER]);
    const proxy = await commitReplyCutter(new URL(t.options.databaseUrl as string), SWITCH);
    const env = {
      DATABASE_URL: proxy.url,
      ARTIFACT_STORE_URI: `file://${store}`,
      DATA_DIR: join(dir, "unused"),
    };
    try {
      const run = await runBun(cli, ["forget", CUSTOMER], env);
      expect(proxy.cuts()).toBe(1);
      saysConnectionLost(run);
      // It committed: the row names the redacted files, which are all there.
      const now = await registry.getVersion(MODEL, version.version);
      expect(now?.artifactSha256).not.toBe(version.artifactSha256);
      expect(await unloadableVersions(registry, MODEL)).toEqual([]);
      expect(await rowsNaming(t)).toBe(0);
      await rerunFinishes(t, env, store);
    } finally {
      proxy.close();
    }
  });

  test("the erase's COMMIT lands, its reply lost: said so, a rerun finishes", async () => {
    const store = join(dir, "lost-erase-reply");
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(store));
    await registerNamingVersion(registry, MODEL, NAMED, ["k1", CUSTOMER]);
    const proxy = await commitReplyCutter(new URL(t.options.databaseUrl as string), ERASE);
    const env = {
      DATABASE_URL: proxy.url,
      ARTIFACT_STORE_URI: `file://${store}`,
      DATA_DIR: join(dir, "unused"),
    };
    try {
      const run = await runBun(cli, ["forget", CUSTOMER], env);
      expect(proxy.cuts()).toBe(1);
      expect(run.status).toBe(1);
      // It committed: the line must not promise that it was all rolled back.
      expect(run.stderr).toContain("lost the connection to the database");
      expect(run.stderr).toContain("one whose COMMIT was already sent may have committed");
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await rowsNaming(t)).toBe(0);
      expect(await unloadableVersions(registry, MODEL)).toEqual([]);
      await rerunFinishes(t, env, store);
    } finally {
      proxy.close();
    }
  });

  test("its backend ended before the switch commits: loadable, said so, a rerun finishes", async () => {
    const store = join(dir, "terminated");
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(store));
    const version = await registerNamingVersion(registry, MODEL, NAMED, ["k1", CUSTOMER]);
    const env = {
      DATABASE_URL: t.options.databaseUrl as string,
      ARTIFACT_STORE_URI: `file://${store}`,
      DATA_DIR: join(dir, "unused"),
    };
    // Only the switch waits (on a lock the test holds): the erase before it updates the same row.
    await t.handle.db.execute(sql.raw(HOLD_SWITCH));
    const proc = startBun("ml forget", cli, env, { args: ["forget", CUSTOMER] });
    const exited = new Promise<number | null>((r) => proc.child.once("close", (code) => r(code)));
    await t.handle.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${SWITCH_LOCK})`);
      const until = performance.now() + 60_000;
      for (;;) {
        await tx.execute(sql`select pg_stat_clear_snapshot()`);
        const [waiting] = await queryRows<{ pid: number }>(
          tx,
          sql`select pid from pg_stat_activity where wait_event = 'advisory'
            and datname = current_database() and pid <> pg_backend_pid()`,
        );
        if (waiting) {
          await tx.execute(sql`select pg_terminate_backend(${waiting.pid}, 10000)`);
          return;
        }
        if (proc.exited() || performance.now() > until)
          throw new Error(`forget never waited at the switch: ${proc.output.join("\n")}`);
        await Bun.sleep(5);
      }
    });
    await t.handle.db.execute(sql.raw("drop trigger hold_switch on model_versions"));
    // Unmended, postgres.js's end() waited for ever for the rollback it wrote after the socket
    // closed: the process never exited (scripts/patch-postgres.mjs).
    const status = await Promise.race([exited, Bun.sleep(30_000).then(() => "still running")]);
    if (typeof status === "string") {
      await stopProc(proc, "SIGKILL");
      throw new Error(
        `ml forget still running 30 s after its backend ended: ${proc.output.join("\n")}`,
      );
    }
    const output = proc.output.join("\n");
    saysConnectionLost({ status, stdout: output, stderr: output });
    // Not switched: the row names the files it named, intact.
    const now = await registry.getVersion(MODEL, version.version);
    expect(now?.artifactSha256).toBe(version.artifactSha256);
    expect(await unloadableVersions(registry, MODEL)).toEqual([]);
    await rerunFinishes(t, env, store);
  });
});
