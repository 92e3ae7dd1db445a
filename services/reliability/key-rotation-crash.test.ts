// API key rotation is all-or-nothing under kill -9, with real processes: the keys CLI
// (`keys rotate ID`) and the decision service (POST /admin/keys/:id/rotate) are killed with
// SIGKILL while the rotation's transaction is at each of its steps: waiting for the row lock, in
// the INSERT of the new key, in the UPDATE of the old one, in the COMMIT (triggers in the test's
// database hold each step); on PostgreSQL the rotation's backend is also terminated at each step
// (pg_terminate_backend: a 503 JSON error, nothing stored, the retry rotates), and killed mid-create
// with a CLI create of the same name queued on the name's lock (one key of that name). On PostgreSQL and on the embedded store (PGlite served by the decision
// service, which is killed too: the store recovers on reopen). After each kill the key's name has
// the old key alone (unchanged: no expiry, no successor) or the old key replaced by exactly one
// live successor with the grace applied; the old key still decides; rotating again works (or, when
// the killed rotation had committed, is a 409 naming the successor, which rotates).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { apiKeys } from "@pp/shared/db/schema.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { type Proc, runBun, startBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { asc, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { ApiKeyRing, ApiKeyStore } from "../decision/src/index.ts";
import { decisionReadyOn, forecastStubAroundTests, killHard } from "../testing/decision-traffic.ts";
import { pauseSql } from "../testing/pg-pause.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");
const ADMIN = "key-rotation-crash-admin-0123456789";
const HOUR = 3_600_000;

/** Triggers that hold a rotation at a step for `ms` (a row of test_pause per step). */
const PAUSE_SQL = pauseSql({ table: "api_keys", statement: ["insert", "update"], commit: true });

type Phase = "lock" | "insert" | "update" | "commit";

async function pauseAt(db: DatabaseHandle, phase: Phase | null, ms = 0): Promise<void> {
  await db.db.execute(sql`delete from test_pause`);
  if (phase && phase !== "lock") {
    await db.db.execute(sql`insert into test_pause values (${phase}, ${ms})`);
  }
}

const forecast = forecastStubAroundTests();

async function decide(base: string, key: string): Promise<number> {
  const res = await fetch(`${base}/decision`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      customer: { id: "c-1" },
      horizon: { value: 13, unit: "week" },
      actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
    }),
  });
  await res.text();
  return res.status;
}

/** A decision with a key another process just stored: the service re-reads its keys on a miss,
 * at most once a second, so the first try may come inside the second after its last read. */
async function decidedWithin(base: string, key: string, ms = 3000): Promise<number> {
  for (const deadline = Date.now() + ms; ; await Bun.sleep(100)) {
    const status = await decide(base, key);
    if (status !== 401 || Date.now() > deadline) return status;
  }
}

const rotateRequest = (base: string, id: number) =>
  fetch(`${base}/admin/keys/${id}/rotate`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}` },
  });

/**
 * The rows named `name`, checked all-or-nothing: "none" (the old key alone, as made: no expiry,
 * no successor) or "rotated" (the old key replaced by one successor, which never expires, and the
 * old key's grace of about 24 h from the rotation). Anything else fails the test.
 */
async function outcome(db: DatabaseHandle, name: string, oldId: number, oldKey: string) {
  const rows = await db.db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.name, name))
    .orderBy(asc(apiKeys.id));
  const [old, successor, ...more] = rows;
  expect(more).toEqual([]);
  expect(old?.id).toBe(oldId);
  expect(old?.revokedAt).toBeNull();
  // The old key decides whatever happened (a fresh copy of the table, as a restarted service).
  const ring = new ApiKeyRing({ database: async () => db.db });
  expect((await ring.check(oldKey)).kind).toBe("valid");
  if (!successor) {
    expect(old?.expiresAt).toBeNull();
    expect(old?.replacedBy).toBeNull();
    return "none" as const;
  }
  expect(old?.replacedBy).toBe(successor.id);
  const grace = (old?.expiresAt?.getTime() ?? 0) - Date.now();
  expect(grace).toBeGreaterThan(23 * HOUR);
  expect(grace).toBeLessThanOrEqual(24 * HOUR);
  expect(successor.expiresAt).toBeNull();
  expect(successor.revokedAt).toBeNull();
  expect(successor.replacedBy).toBeNull();
  return "rotated" as const;
}

/** On PostgreSQL: waits until a backend other than `own` is at `phase` of a rotation. */
async function atPhase(admin: postgres.Sql, phase: Phase, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const rows = await admin<{ query: string; state: string; wait: string | null }[]>`
      select query, state, wait_event_type as wait from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()`;
    const hit = rows.some(({ query, state, wait }) => {
      const q = query.trimStart().toLowerCase();
      if (phase === "lock") return wait === "Lock" && q.includes("for update");
      if (phase === "commit") return state === "active" && q.startsWith("commit");
      return state === "active" && q.startsWith(`${phase} `) && q.includes('"api_keys"');
    });
    if (hit) return;
    await Bun.sleep(10);
  }
  throw new Error(`no rotation reached ${phase} within ${ms} ms`);
}

/** On PostgreSQL: waits until no other backend of the database is in a transaction. */
async function settled(admin: postgres.Sql): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null`;
    if (row?.n === 0) return;
    await Bun.sleep(20);
  }
  throw new Error("a killed rotation's backend is still in a transaction after 30 s");
}

const PHASES: Phase[] = ["lock", "insert", "update", "commit"];

describe("kill -9 mid-rotation on PostgreSQL", () => {
  let db: TestDatabase;
  let admin: postgres.Sql;
  let url: string;

  beforeAll(async () => {
    db = await openTestDatabase("postgres");
    url = db.options.databaseUrl as string;
    admin = postgres(url, { max: 2, onnotice: () => {} });
    await admin.unsafe(PAUSE_SQL);
  }, 60_000);
  afterAll(async () => {
    await admin?.end();
    await db?.cleanup();
  });

  /**
   * Holds `phase` for the next rotation; returns the release (the lock's holder, if any). The
   * kill follows within milliseconds of atPhase, and the killed rotation's backend sleeps out
   * the rest of the hold before settled() sees it end: 500 ms, as pg-pause.ts (was 1.5 s).
   */
  async function hold(phase: Phase, id: number): Promise<() => Promise<void>> {
    await pauseAt(db.handle, phase, 500);
    if (phase !== "lock") return () => pauseAt(db.handle, null);
    const locker = await admin.reserve();
    await locker`begin`;
    await locker`select id from api_keys where id = ${id} for update`;
    return async () => {
      await locker`rollback`;
      locker.release();
    };
  }

  test("the keys CLI killed at each step: all or nothing, and rotating again works", async () => {
    const store = new ApiKeyStore(db.handle.db);
    const seen: string[] = [];
    for (const phase of PHASES) {
      const made = await store.create(`cli-${phase}`);
      const release = await hold(phase, made.id);
      const cli: Proc = startBun(
        "keys",
        KEYS_CLI,
        { DATABASE_URL: url },
        {
          args: ["rotate", String(made.id)],
        },
      );
      const exited = new Promise((r) => cli.child.once("exit", r));
      await atPhase(admin, phase);
      cli.child.kill("SIGKILL");
      await exited;
      await release();
      await settled(admin);
      const result = await outcome(db.handle, `cli-${phase}`, made.id, made.key);
      seen.push(`${phase}: ${result}`);
      // Killed before its COMMIT was sent, the rotation cannot have happened.
      if (phase !== "commit") expect(result).toBe("none");
      const again = await runBun(KEYS_CLI, ["rotate", String(made.id)], { DATABASE_URL: url });
      if (result === "none") {
        expect(again.status, again.stderr).toBe(0);
        expect(await outcome(db.handle, `cli-${phase}`, made.id, made.key)).toBe("rotated");
      } else {
        expect(again.status).toBe(1);
        expect(again.stderr).toContain(`API key ${made.id} was already rotated`);
      }
    }
    console.log(`keys CLI killed on PostgreSQL at ${seen.join(", ")}`);
  }, 120_000);

  test("the decision service killed at each step of POST /admin/keys/:id/rotate: all or nothing, and rotating again works", async () => {
    const port = await freePort();
    const env = { DATABASE_URL: url, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    const store = new ApiKeyStore(db.handle.db);
    let service: ServiceProcess = await decisionReadyOn(port, env);
    const seen: string[] = [];
    try {
      for (const phase of PHASES) {
        const made = await store.create(`svc-${phase}`);
        expect(await decidedWithin(service.base, made.key)).toBe(200);
        const release = await hold(phase, made.id);
        const answer = rotateRequest(service.base, made.id).then(
          (r) => r.status,
          () => 0,
        );
        await atPhase(admin, phase);
        await killHard(service);
        expect(await answer).toBe(0); // no answer: the connection died with the process
        await release();
        await settled(admin);
        const result = await outcome(db.handle, `svc-${phase}`, made.id, made.key);
        seen.push(`${phase}: ${result}`);
        if (phase !== "commit") expect(result).toBe("none");

        service = await decisionReadyOn(port, env);
        expect(await decide(service.base, made.key)).toBe(200);
        const again = await rotateRequest(service.base, made.id);
        const body = (await again.json()) as { id: number; key: string };
        if (result === "none") {
          expect(again.status).toBe(201);
          expect(await decide(service.base, body.key)).toBe(200);
        } else {
          // Committed though unanswered: its successor is named, and that one rotates.
          expect(again.status).toBe(409);
          const [, successor] = await db.handle.db
            .select()
            .from(apiKeys)
            .where(eq(apiKeys.name, `svc-${phase}`))
            .orderBy(asc(apiKeys.id));
          expect(JSON.stringify(body)).toContain(`replaced by key ${successor?.id}`);
          const next = await rotateRequest(service.base, successor?.id as number);
          expect(next.status).toBe(201);
        }
        expect(await decide(service.base, made.key)).toBe(200); // in its grace
      }
    } finally {
      if (!service.exited()) await killHard(service);
    }
    console.log(`decision service killed on PostgreSQL at ${seen.join(", ")}`);
  }, 180_000);

  test("the service killed mid-create, a CLI create of the same name waiting on its lock: one key of that name, and it decides", async () => {
    const port = await freePort();
    const env = { DATABASE_URL: url, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    let service: ServiceProcess = await decisionReadyOn(port, env);
    const seen: string[] = [];
    try {
      for (const phase of ["insert", "commit"] as const) {
        const name = `create-${phase}`;
        await pauseAt(db.handle, phase, 1500);
        const answer = fetch(`${service.base}/admin/keys`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body: JSON.stringify({ name }),
        }).then(
          (r) => r.status,
          () => 0,
        );
        await atPhase(admin, phase);
        // The CLI's create queues behind the service's on the name's advisory lock.
        const cli = runBun(KEYS_CLI, ["create", name], { DATABASE_URL: url });
        await Bun.sleep(300);
        await killHard(service);
        expect(await answer).toBe(0);
        const { status, stdout, stderr } = await cli;
        await pauseAt(db.handle, null);
        await settled(admin);
        const rows = await db.handle.db.select().from(apiKeys).where(eq(apiKeys.name, name));
        expect(rows.length).toBe(1); // never two keys sharing a name, never none
        expect(rows[0]?.revokedAt).toBeNull();
        // Killed before its COMMIT was sent, the service's create cannot have happened: the CLI's did.
        seen.push(`${phase}: ${status === 0 ? "the CLI's create" : "the killed create"}`);
        if (phase === "insert") expect(status, stderr).toBe(0);
        if (status === 0) {
          const key = stdout.trim().split("\n").at(-1) as string;
          service = await decisionReadyOn(port, env);
          expect(await decidedWithin(service.base, key)).toBe(200);
        } else {
          expect(stderr).toContain(`an API key named "${name}" is in use (key ${rows[0]?.id})`);
          service = await decisionReadyOn(port, env);
        }
      }
    } finally {
      if (!service.exited()) await killHard(service);
    }
    console.log(`decision service killed mid-create on PostgreSQL at ${seen.join(", ")}`);
  }, 120_000);

  test("the rotation's backend terminated (pg_terminate_backend) at each step: a 503 JSON error, all or nothing, and the retry works", async () => {
    const env = { DATABASE_URL: url, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    const service = await decisionReadyOn(await freePort(), env);
    const store = new ApiKeyStore(db.handle.db);
    const seen: string[] = [];
    try {
      for (const phase of PHASES) {
        const made = await store.create(`terminated-${phase}`);
        const release = await hold(phase, made.id);
        const answer = rotateRequest(service.base, made.id).then(async (r) => ({
          status: r.status,
          body: await r.text(),
        }));
        await atPhase(admin, phase);
        // The backend running the rotation: the one at that step (not the lock's holder).
        await admin`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()
            and (wait_event_type = 'Lock' or query ilike 'insert%' or query ilike 'update%'
              or query ilike 'commit%') and state = 'active'`;
        const { status, body } = await answer;
        await release();
        await settled(admin);
        const result = await outcome(db.handle, `terminated-${phase}`, made.id, made.key);
        seen.push(`${phase}: ${status} ${result}`);
        expect(status).toBe(503);
        expect(JSON.parse(body).error.code).toBe("unavailable");
        expect(result).toBe("none");
        const again = await rotateRequest(service.base, made.id);
        expect(again.status).toBe(201);
        expect(await outcome(db.handle, `terminated-${phase}`, made.id, made.key)).toBe("rotated");
      }
    } finally {
      await killHard(service);
    }
    console.log(`rotation's backend terminated on PostgreSQL at ${seen.join(", ")}`);
  }, 120_000);
});

describe("kill -9 mid-rotation on the embedded store (PGlite, hosted by the decision service)", () => {
  /**
   * While the host is held in a step (pg_sleep blocks its event loop), /health does not answer:
   * resolves once a probe has been outstanding for `ms`.
   */
  async function hostHeld(base: string, ms = 500, within = 30_000): Promise<void> {
    const deadline = Date.now() + within;
    while (Date.now() < deadline) {
      const started = Date.now();
      const probe = fetch(`${base}/health`).then(
        (r) => r.text(),
        () => "",
      );
      const late = await Promise.race([probe.then(() => false), Bun.sleep(ms).then(() => true)]);
      if (late) return;
      await Bun.sleep(Math.max(0, 10 - (Date.now() - started)));
    }
    throw new Error(`the embedded store's host was not held within ${within} ms`);
  }

  let t: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  let service: ServiceProcess;
  let client: DatabaseHandle;
  const steps: Phase[] = ["insert", "update", "commit"];

  beforeAll(async () => {
    t = await openTestDatabase("pglite");
    dataDir = t.options.dataDir as string;
    await t.handle.db.execute(sql.raw(PAUSE_SQL));
    await t.handle.close(); // the service hosts the store from here
    port = await freePort();
    env = { DECISION_DATA_DIR: dataDir, ADMIN_API_KEYS: ADMIN, FORECAST_URL: forecast.url };
    service = await decisionReadyOn(port, env);
    client = await createDatabase({ dataDir });
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    if (service && !service.exited()) await killHard(service);
    await t?.cleanup().catch(() => {});
  });

  test("the keys CLI (a client of the service's store) killed at each step: all or nothing, rotating again works", async () => {
    const seen: string[] = [];
    for (const phase of steps) {
      const made = await new ApiKeyStore(client.db).create(`cli-${phase}`);
      await pauseAt(client, phase, 1500);
      const cli = startBun(
        "keys",
        KEYS_CLI,
        { DECISION_DATA_DIR: dataDir },
        {
          args: ["rotate", String(made.id)],
        },
      );
      const exited = new Promise((r) => cli.child.once("exit", r));
      await hostHeld(service.base);
      cli.child.kill("SIGKILL");
      await exited;
      await pauseAt(client, null); // waits for the host, then for the session's turn
      const result = await outcome(client, `cli-${phase}`, made.id, made.key);
      seen.push(`${phase}: ${result}`);
      if (phase !== "commit") expect(result).toBe("none");
      const again = await runBun(KEYS_CLI, ["rotate", String(made.id)], {
        DECISION_DATA_DIR: dataDir,
      });
      expect(again.status, again.stderr).toBe(result === "none" ? 0 : 1);
      expect(await outcome(client, `cli-${phase}`, made.id, made.key)).toBe("rotated");
    }
    console.log(`keys CLI killed on the embedded store at ${seen.join(", ")}`);
  }, 90_000);

  test("the service hosting the store killed at each step of its own rotation: all or nothing after recovery, rotating again works", async () => {
    const seen: string[] = [];
    for (const phase of steps) {
      const made = await new ApiKeyStore(client.db).create(`svc-${phase}`);
      expect(await decidedWithin(service.base, made.key)).toBe(200);
      await pauseAt(client, phase, 1500);
      const answer = rotateRequest(service.base, made.id).then(
        (r) => r.status,
        () => 0,
      );
      await hostHeld(service.base);
      await killHard(service);
      expect(await answer).toBe(0);
      await client.close().catch(() => {});
      // Reopened here first (this process hosts and recovers it), then by the service again.
      const reopened = await createDatabase({ dataDir });
      const result = await outcome(reopened, `svc-${phase}`, made.id, made.key);
      await pauseAt(reopened, null);
      await reopened.close();
      seen.push(`${phase}: ${result}`);
      if (phase !== "commit") expect(result).toBe("none");
      service = await decisionReadyOn(port, env);
      client = await createDatabase({ dataDir });
      expect(await decide(service.base, made.key)).toBe(200);
      const again = await rotateRequest(service.base, made.id);
      expect(again.status).toBe(result === "none" ? 201 : 409);
      expect(await outcome(client, `svc-${phase}`, made.id, made.key)).toBe("rotated");
    }
    console.log(`decision service (host) killed on the embedded store at ${seen.join(", ")}`);
  }, 90_000);
});
