// What `ml forget` leaves when it is killed after switching a version to its rewritten files, and
// many `ml forget`s on one version at once: real processes, both database drivers. Killed before
// it deleted the replaced files (they still name the erased customer), the files stayed until the
// next `ml forget`: `ml gc` kept them (their prefix is in use). Six at once on one version ran out
// of tries and ended with a warning, the customer still named.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ArtifactStore } from "@pp/shared/artifacts/artifact-store.ts";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { openArtifactStore } from "@pp/shared/artifacts/open-artifact-store.ts";
import { type Database, type DatabaseDriver, queryRows } from "@pp/shared/db/database.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { runBun, startBun, stopProc } from "@pp/shared/testing/processes.ts";
import { type S3TestServer, startS3TestServer } from "@pp/shared/testing/s3-test-server.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { registerNamingVersion, unloadableVersions } from "../testing/forget-fixtures.ts";

setDefaultTimeout(300_000);

const cli = join(resolve(import.meta.dirname, "../.."), "ml/cli.ts");
const dir = mkdtempSync(join(tmpdir(), "pp-forget-leftovers-"));
let s3: S3TestServer;
beforeAll(async () => {
  s3 = await startS3TestServer();
});
afterAll(async () => {
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Keys of the store whose object holds `text`. */
async function naming(store: ArtifactStore, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const key of await store.list("models/")) {
    if (new TextDecoder().decode(await store.get(key)).includes(text)) found.push(key);
  }
  return found;
}

/**
 * A proxy to the S3 server that, from the first request whose request line matches `pattern`,
 * forwards nothing more on any connection until `release` (parallel requests go on other
 * connections), and says so, with that line.
 */
async function requestHolder(target: URL, pattern: RegExp) {
  let onHeld: (line: string) => void = () => {};
  const held = new Promise<string>((r) => {
    onHeld = r;
  });
  let holding = false;
  let released = false;
  const waiting: Array<() => void> = [];
  const sockets: Socket[] = [];
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    sockets.push(client, upstream);
    client.on("data", (chunk: Buffer) => {
      const line = pattern.exec(chunk.toString("latin1"));
      if (line && !holding && !released) {
        holding = true;
        onHeld(line[0]);
      }
      if (holding) waiting.push(() => upstream.write(chunk));
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    held,
    /** Forwards what was held, and everything after it (no request is held again). */
    release: () => {
      released = true;
      holding = false;
      for (const forward of waiting.splice(0)) forward();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe.each(testDrivers())("%s", (driver: DatabaseDriver) => {
  // A database per test: ml forget goes through every version of the registry.
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const t of opened) await t.cleanup();
  });
  async function database() {
    const t = await openTestDatabase(driver);
    opened.push(t);
    const env: Record<string, string> =
      driver === "postgres"
        ? { DATABASE_URL: t.options.databaseUrl as string, DATA_DIR: join(dir, "unused") }
        : { DATABASE_URL: "", DATA_DIR: t.options.dataDir as string };
    return { db: t.handle.db, env };
  }
  test("killed after its switch, before deleting the replaced files: ml gc removes them", async () => {
    const { db, env: databaseEnv } = await database();
    const storeEnv = s3.env(`leftovers-${driver}`);
    const store = openArtifactStore(storeEnv.ARTIFACT_STORE_URI as string, storeEnv);
    const registry = new ModelRegistry(db, store);
    const version = await registerNamingVersion(registry, "killed", {
      case_variant_ids: ["cust-7"],
    });
    // ml forget deletes nothing before its switch has committed: held there, it is past it.
    const proxy = await requestHolder(new URL(s3.endpoint), /^DELETE [^\r\n]*/m);
    try {
      const env = { ...databaseEnv, ...storeEnv, AWS_ENDPOINT_URL: proxy.endpoint };
      const proc = startBun("ml forget", cli, env, { args: ["forget", "cust-7"] });
      const exited = new Promise<void>((r) => proc.child.once("exit", () => r()));
      await Promise.race([proxy.held, exited]);
      expect(proc.exited(), proc.output.join("\n")).toBe(false);
      await stopProc(proc, "SIGKILL");
    } finally {
      proxy.close();
    }
    // Switched, and the replaced files still there: they name the customer.
    const now = await registry.getVersion("killed", version.version);
    expect(now?.artifactSha256).not.toBe(version.artifactSha256);
    expect(await unloadableVersions(registry)).toEqual([]);
    expect((await naming(store, "cust-7")).length).toBeGreaterThan(0);

    const env = { ...databaseEnv, ...storeEnv };
    const dry = await runBun(cli, ["gc", "--min-age", "0"], env);
    expect(dry.status, dry.stderr).toBe(0);
    expect((await naming(store, "cust-7")).length).toBeGreaterThan(0);
    const gc = await runBun(cli, ["gc", "--min-age", "0", "--delete"], env);
    expect(gc.status, gc.stderr).toBe(0);
    expect(await naming(store, "cust-7")).toEqual([]);
    expect(await unloadableVersions(registry)).toEqual([]);
  });

  // Killed with the new revision's files written but its manifest not, the row not switched (it
  // holds the row's lock meanwhile; the kill ends its transaction): the version keeps its files,
  // ml gc deletes the unswitched ones, a rerun redacts the version.
  test("killed before its switch: the version keeps its files; ml gc deletes the rewrite's", async () => {
    const { db, env: databaseEnv } = await database();
    const storeEnv = s3.env(`unswitched-${driver}`);
    const store = openArtifactStore(storeEnv.ARTIFACT_STORE_URI as string, storeEnv);
    const registry = new ModelRegistry(db, store);
    const version = await registerNamingVersion(registry, "unswitched", {
      case_variant_ids: ["cust-5"],
    });
    const proxy = await requestHolder(
      new URL(s3.endpoint),
      /^PUT \S*\/rev-[0-9a-f-]+\/manifest\.json/m,
    );
    try {
      const env = { ...databaseEnv, ...storeEnv, AWS_ENDPOINT_URL: proxy.endpoint };
      const proc = startBun("ml forget", cli, env, { args: ["forget", "cust-5"] });
      const exited = new Promise<void>((r) => proc.child.once("exit", () => r()));
      await Promise.race([proxy.held, exited]);
      expect(proc.exited(), proc.output.join("\n")).toBe(false);
      await stopProc(proc, "SIGKILL");
    } finally {
      proxy.close();
    }
    const env = { ...databaseEnv, ...storeEnv };
    expect((await registry.getVersion("unswitched", 1))?.artifactSha256).toBe(
      version.artifactSha256,
    );
    expect(await unloadableVersions(registry)).toEqual([]);
    const unswitched = (await store.list("models/")).filter((k) => k.includes("/rev-"));
    expect(unswitched).toHaveLength(1); // its metrics.json
    // The kill ended the rewrite's transaction (PostgreSQL saw its connection close): no lock left.
    const gc = await runBun(cli, ["gc", "--min-age", "0", "--delete"], env);
    expect(gc.status, gc.stderr).toBe(0);
    expect(gc.stdout).toContain("1 stale revision");
    expect((await store.list("models/")).filter((k) => k.includes("/rev-"))).toEqual([]);
    expect(await unloadableVersions(registry)).toEqual([]);
    const rerun = await runBun(cli, ["forget", "cust-5"], env);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).not.toContain("warning:");
    expect(await naming(store, "cust-5")).toEqual([]);
    expect(await unloadableVersions(registry)).toEqual([]);
  });

  // The rewrite's last write before its switch (the new manifest) held while ml gc --delete runs:
  // gc lists the revision's files as named by no row, and must not delete them. It waits for the
  // row's lock, which the rewrite holds until its switch commits; the version then names them.
  test("ml gc during a rewrite keeps the revision about to be switched to", async () => {
    const { db, env: databaseEnv } = await database();
    const storeEnv = s3.env(`in-flight-${driver}`);
    const store = openArtifactStore(storeEnv.ARTIFACT_STORE_URI as string, storeEnv);
    const registry = new ModelRegistry(db, store);
    const version = await registerNamingVersion(registry, "inflight", {
      case_variant_ids: ["cust-9"],
    });
    const proxy = await requestHolder(
      new URL(s3.endpoint),
      /^PUT \S*\/rev-[0-9a-f-]+\/manifest\.json/m,
    );
    let gc: Awaited<ReturnType<typeof runBun>> | undefined;
    let forget: Awaited<ReturnType<typeof runBun>> | undefined;
    let revision = "";
    try {
      const env = { ...databaseEnv, ...storeEnv, AWS_ENDPOINT_URL: proxy.endpoint };
      const forgetting = runBun(cli, ["forget", "cust-9"], env);
      revision = /rev-[0-9a-f-]+/.exec(await proxy.held)?.[0] ?? "";
      const collecting = runBun(cli, ["gc", "--min-age", "0", "--delete"], {
        ...databaseEnv,
        ...storeEnv,
      });
      // PostgreSQL: until gc waits on the row; the embedded store's one session is the rewrite's
      // meanwhile, so gc cannot begin before it commits.
      if (driver === "postgres") await waitersOnVersions(db, 1);
      else await Bun.sleep(1_000);
      proxy.release();
      [forget, gc] = await Promise.all([forgetting, collecting]);
    } finally {
      proxy.release();
      proxy.close();
    }
    expect(forget.status, forget.stderr).toBe(0);
    expect(forget.stdout).not.toContain("warning:");
    expect(gc.status, gc.stderr).toBe(0);
    const now = await registry.getVersion("inflight", version.version);
    expect(now?.artifactUri).toEndWith(`/${revision}`);
    expect(await unloadableVersions(registry)).toEqual([]);
    expect(await naming(store, "cust-9")).toEqual([]);
  });

  // Six customers, one version: each run reads the version's files, rewrites them and switches
  // the row. The test holds the version's row (PostgreSQL), or the embedded store's one session,
  // while the six start, so that they reach the version at once rather than one after another.
  test("six ml forgets on one version at once: none of the six is left in any file", async () => {
    const { db, env: databaseEnv } = await database();
    const store = new FileArtifactStore(join(dir, `six-${driver}`));
    const registry = new ModelRegistry(db, store);
    const ids = ["c-1", "c-2", "c-3", "c-4", "c-5", "c-6"];
    const version = await registerNamingVersion(registry, "six", { case_variant_ids: ids });
    const env = { ...databaseEnv, ARTIFACT_STORE_URI: store.baseUri };
    let started: Array<ReturnType<typeof runBun>> = [];
    await db.transaction(async (tx) => {
      await tx.execute(sql`select id from model_versions where id = ${version.id} for update`);
      started = ids.map((id) => runBun(cli, ["forget", id], env));
      if (driver === "postgres") await waitersOnVersions(tx, ids.length);
      else await Bun.sleep(3_000);
    });
    const runs = await Promise.all(started);
    const failed = runs.filter((run) => run.status !== 0 || run.stdout.includes("warning:"));
    expect(failed.map((run) => `${run.stdout}\n${run.stderr}`)).toEqual([]);
    for (const id of ids) expect(await naming(store, `"${id}"`)).toEqual([]);
    expect(await unloadableVersions(registry)).toEqual([]);
  });
});

/** Waits until `count` other sessions wait on a lock in a statement on model_versions. */
async function waitersOnVersions(tx: Database, count: number): Promise<void> {
  const until = performance.now() + 120_000;
  for (;;) {
    await tx.execute(sql`select pg_stat_clear_snapshot()`);
    const [waiting] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'
        and query ilike '%model_versions%' and pid <> pg_backend_pid()`,
    );
    if (Number(waiting?.n) >= count) return;
    if (performance.now() > until) throw new Error(`never ${count} waiting on model_versions`);
    await Bun.sleep(5);
  }
}
