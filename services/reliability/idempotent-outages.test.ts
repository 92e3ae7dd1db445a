// Idempotency-Key through the outages a store has, with real processes and clients that retry
// every failed request until answered:
//  - PostgreSQL (a throwaway cluster) stopped and started again under keyed load: while it is
//    away a keyed request is a 503 (the key cannot be checked), never an unrecorded 200; after,
//    one row per key, holding the very answer its client got;
//  - PostgreSQL frozen (SIGSTOP) and resumed: a commit in flight may land after its request was
//    refused, so an unkeyed retry may decide a second time; a keyed retry is answered the row;
//  - keyed batches through a stop and a freeze: one row per customer, each answered decision id
//    the row about its customer, and a re-send replayed byte for byte;
//  - PostgreSQL ending the service's connections over and over (pg_terminate_backend): the
//    process stays up and answers; one row per key, holding the answer its client got;
//  - two decision services on one embedded store (DATA_DIR), each key sent to both at once, and
//    the process hosting the database killed with -9 mid-load and started again: one row per
//    key, both services answered the same, every answer the one the store keeps; and keyed
//    batches to both through the same kill: one row per customer, every answer kept and replayed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase } from "@pp/shared/db/client.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { readLock } from "@pp/shared/db/embedded/server-lock.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import {
  decisionReadyOn,
  decisionReadyOnFreePort,
  forecastStubAroundTests,
  killHard,
  stopGracefully,
} from "../testing/decision-traffic.ts";
import {
  BATCH_SIZE,
  type BatchAnswered,
  batchesInLog,
  batchesNotReplayed,
  retryingBatchClients,
} from "../testing/keyed-batch-clients.ts";
import {
  type Answer,
  answersNotKept,
  retried,
  retryingClients,
  rowsAbout,
  type StatusTally,
  sentToBoth,
} from "../testing/keyed-clients.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const bin = postgresBinDirOrWarn("the Idempotency-Key outage tests");
const forecast = forecastStubAroundTests();

/** A decision service process on `port` with `store` (its database env), once /ready is 200. */
const decisionOn = (port: number, store: Record<string, string>) =>
  decisionReadyOn(port, { FORECAST_URL: forecast.url, ...store });

/** 200s counted before an outage, and again after it, before the clients are stopped. */
const LOAD_ANSWERS = 100;
/**
 * The same for the 16 batch clients: two batches each (2,240 decisions), the load their outage
 * needs (16 batches in flight); 100 batches were 7,000 decisions per wait, most of the file's CPU.
 */
const BATCH_LOAD_ANSWERS = 32;

/**
 * Waits (up to 60 s) until `statuses` has counted `more` 200s beyond what it counts now: the
 * clients are answered under load (before an outage), or answered again (after one).
 */
const answeredMore = (statuses: StatusTally, more = LOAD_ANSWERS) =>
  countedMore(statuses, 200, more);

/**
 * An outage lasts until the clients have felt it: OUTAGE_503S more 503s (two per keyed client, so
 * not one straggler's), rather than a fixed 3 s, most of which was spent after they had.
 */
const OUTAGE_503S = 16;
const refusedMore = (statuses: StatusTally) => countedMore(statuses, 503, OUTAGE_503S);

async function countedMore(statuses: StatusTally, status: number, more: number): Promise<void> {
  const target = (statuses.get(status) ?? 0) + more;
  const until = Date.now() + 60_000;
  while ((statuses.get(status) ?? 0) < target && Date.now() < until) await Bun.sleep(20);
  if ((statuses.get(status) ?? 0) < target)
    throw new Error(`fewer than ${more} ${status}s in 60 s`);
}

/** Statuses other than those allowed, as `status×count` strings (empty when none). */
const unexpected = (statuses: StatusTally, allowed: number[]) =>
  [...statuses].filter(([s]) => !allowed.includes(s)).map(([s, n]) => `${s}×${n}`);

/** One row per answered key, each the answer its client got: the figures, printed. */
async function checkKept(db: Database, what: string, answers: Answer[], statuses: StatusTally) {
  const rows = await rowsAbout(db, answers);
  const notKept = await answersNotKept(db, answers);
  const tally = [...statuses].map(([s, n]) => `${s}: ${n}`).join(", ");
  console.log(
    `${what}: ${answers.length} keyed decisions answered (${retried(answers)} after a retry; attempts ${tally}) → ${rows} rows, ${notKept.length} answers not the kept one`,
  );
  expect(notKept).toEqual([]);
  expect(rows).toBe(answers.length);
}

/** One row per customer of every answered batch, each answered id kept, each re-send replayed. */
async function checkBatchesKept(
  db: Database,
  what: string,
  batches: BatchAnswered[],
  notReplayed: string[],
  statuses: StatusTally,
) {
  const { rows, customers, notKept } = await batchesInLog(db, batches);
  const tally = [...statuses].map(([s, n]) => `${s}: ${n}`).join(", ");
  console.log(
    `${what}: ${batches.length} keyed batches of ${BATCH_SIZE} answered (${batches.filter((b) => b.attempts > 1).length} after a retry; attempts ${tally}) → ${rows} rows for ${customers} customers; ${notKept.length} batches with an answered id not kept, ${notReplayed.length} not replayed byte for byte`,
  );
  expect(notKept).toEqual([]);
  expect(notReplayed).toEqual([]);
  expect(rows).toBe(customers);
}

describe.skipIf(!bin)("Idempotency-Key through PostgreSQL's outages", () => {
  let pg: ThrowawayPostgres;
  beforeAll(() => {
    pg = ThrowawayPostgres.create(bin as string);
  }, 60_000);
  afterAll(() => pg?.destroy());
  /** A decision service on the cluster that gives up on a commit after 1 s (then 503). */
  const serviceOn = async (cluster: ThrowawayPostgres) =>
    decisionOn(await freePort(), {
      DATABASE_URL: cluster.url,
      DECISION_LOG_COMMIT_TIMEOUT_MS: "1000",
    });

  test("keyed load through the outage: 503s while it is away, then one row per key, as answered", async () => {
    const service = await serviceOn(pg);
    const statuses: StatusTally = new Map();
    const clients = retryingClients(service.base, "outage", { keyed: true, statuses });
    await answeredMore(statuses);
    pg.stop();
    await refusedMore(statuses);
    const during = statuses.get(503) ?? 0;
    pg.start();
    await answeredMore(statuses);
    const answers = await clients.stop();
    expect(await stopGracefully(service)).toBe(0);

    const handle = await createDatabase({ databaseUrl: pg.url });
    try {
      await checkKept(handle.db, "PostgreSQL stopped until 503s were felt", answers, statuses);
    } finally {
      await handle.close();
    }
    expect(during).toBeGreaterThan(0); // the outage was felt, as 503s
    expect(unexpected(statuses, [200, 503])).toEqual([]);
  }, 180_000);

  test("frozen until 503s are felt: 503s while frozen; after, one row per key, as answered (a commit that lands after its 503 is replayed)", async () => {
    const service = await serviceOn(pg);
    const statuses: StatusTally = new Map();
    const keyed = retryingClients(service.base, "frozen-k", { keyed: true, statuses });
    const unkeyed = retryingClients(service.base, "frozen-u", { keyed: false });
    await answeredMore(statuses);
    pg.freeze();
    await refusedMore(statuses);
    pg.thaw();
    await answeredMore(statuses);
    const [keyedAnswers, unkeyedAnswers] = await Promise.all([keyed.stop(), unkeyed.stop()]);
    expect(await stopGracefully(service)).toBe(0);

    const handle = await createDatabase({ databaseUrl: pg.url });
    try {
      await checkKept(handle.db, "PostgreSQL frozen until 503s were felt", keyedAnswers, statuses);
      // Without a key, a retry of a 503 whose row landed decides again. Whether a commit is in
      // flight at the freeze is timing, so this is shown, not asserted (seen: +0 to +8 rows).
      const unkeyedRows = await rowsAbout(handle.db, unkeyedAnswers);
      console.log(`  unkeyed: ${unkeyedAnswers.length} answered → ${unkeyedRows} rows`);
      expect(unkeyedRows).toBeGreaterThanOrEqual(unkeyedAnswers.length);
    } finally {
      await handle.close();
    }
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(unexpected(statuses, [200, 503])).toEqual([]);
  }, 180_000);

  test("keyed batches through a stop and a freeze: one row per customer, every answer kept and replayed", async () => {
    const service = await serviceOn(pg);
    const statuses: StatusTally = new Map();
    const clients = retryingBatchClients(service.base, "outage-batch", statuses);
    await answeredMore(statuses, BATCH_LOAD_ANSWERS);
    pg.stop();
    await refusedMore(statuses);
    pg.start();
    await answeredMore(statuses, BATCH_LOAD_ANSWERS);
    pg.freeze();
    await refusedMore(statuses);
    pg.thaw();
    await answeredMore(statuses, BATCH_LOAD_ANSWERS);
    const { batches } = await clients.stop();
    const notReplayed = await batchesNotReplayed(service.base, batches);
    expect(await stopGracefully(service)).toBe(0);

    const handle = await createDatabase({ databaseUrl: pg.url });
    try {
      const what = "PostgreSQL stopped, then frozen (each until 503s were felt)";
      await checkBatchesKept(handle.db, what, batches, notReplayed, statuses);
    } finally {
      await handle.close();
    }
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(unexpected(statuses, [200, 503])).toEqual([]);
  }, 180_000);

  // Unmended, postgres.js 3.4.9 ended the service here within seconds, in each of 5 runs: a
  // connection terminated while starting up rejected its array-types query unhandled, or a
  // rollback written after its socket closed threw from setImmediate (scripts/patch-postgres.mjs).
  test("backends terminated every ~50 ms for 6 s under keyed load: the service stays up, one row per key, as answered", async () => {
    const service = await serviceOn(pg);
    const during: StatusTally = new Map();
    const clients = retryingClients(service.base, "terminated", { keyed: true, statuses: during });
    const ended = await pg.terminateBackendsFor(6000);
    await Bun.sleep(1000);
    if (service.exited()) {
      // Its clients would retry forever: fail now, with what the process said last.
      throw new Error(
        `the service died (${ended} backends terminated): ${service.output.slice(-8).join(" / ")}`,
      );
    }
    const duringAnswers = await clients.stop();
    const after: StatusTally = new Map();
    const later = retryingClients(service.base, "after", { keyed: true, statuses: after });
    await answeredMore(after);
    const afterAnswers = await later.stop();
    console.log(
      `${ended} backends terminated, the service stayed up; after the storm: ${[...after].map(([s, n]) => `${s}: ${n}`).join(", ")}`,
    );
    expect(await stopGracefully(service)).toBe(0);

    const handle = await createDatabase({ databaseUrl: pg.url });
    try {
      await checkKept(
        handle.db,
        "backends terminated",
        [...duringAnswers, ...afterAnswers],
        during,
      );
    } finally {
      await handle.close();
    }
    expect(ended).toBeGreaterThan(50);
    expect(unexpected(during, [200, 503])).toEqual([]);
    expect(afterAnswers.length).toBeGreaterThan(0);
    expect(unexpected(after, [200, 503])).toEqual([]);
  }, 180_000);
});

describe("Idempotency-Key on one embedded store shared by two services", () => {
  let dataDir: string;
  const procs: ServiceProcess[] = [];
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "pp-keyed-embedded-"));
  });
  afterAll(async () => {
    for (const p of procs) if (!p.exited()) await killHard(p);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const store = () => ({ DATABASE_URL: "", DECISION_DATA_DIR: dataDir });

  /** Two decision services on the store: both, the one hosting it (and its port), the other. */
  async function twoServices() {
    const env = { FORECAST_URL: forecast.url, ...store() };
    const started = [await decisionReadyOnFreePort(env), await decisionReadyOnFreePort(env)];
    const ports = started.map((s) => s.port);
    const services = started.map((s) => s.service);
    procs.push(...services);
    const hostPid = readLock(dataDir)?.pid;
    const at = services.findIndex((p) => p.pid === hostPid);
    if (at < 0) throw new Error(`neither service hosts the store (its lock names ${hostPid})`);
    const [host, other] = [services[at], services[1 - at]] as [ServiceProcess, ServiceProcess];
    return { bases: services.map((p) => p.base), host, hostPort: ports[at] as number, other };
  }

  /** The host killed with -9 and started again on its port (the other takes the store over). */
  async function killAndRestart(host: ServiceProcess, port: number): Promise<ServiceProcess> {
    await killHard(host);
    const restarted = await decisionOn(port, store());
    procs.push(restarted);
    return restarted;
  }

  test("each keyed batch sent to both, the database's host killed -9 mid-load: one row per customer, every answer kept and replayed", async () => {
    const { bases, host, hostPort, other } = await twoServices();
    const statuses: StatusTally = new Map();
    const clients = retryingBatchClients(bases, "embedded-batch", statuses);
    await answeredMore(statuses, BATCH_LOAD_ANSWERS);
    const restarted = await killAndRestart(host, hostPort);
    await answeredMore(statuses, BATCH_LOAD_ANSWERS);
    const { batches, differing } = await clients.stop();
    const notReplayed = await batchesNotReplayed(restarted.base, batches);
    expect(await stopGracefully(restarted)).toBe(0);
    expect(await stopGracefully(other)).toBe(0);

    const handle = await createDatabase({ dataDir });
    try {
      const what = "two services on one embedded store, host killed -9";
      await checkBatchesKept(handle.db, what, batches, notReplayed, statuses);
    } finally {
      await handle.close();
    }
    console.log(`  ${differing} batches answered differently by the two services`);
    expect(differing).toBe(0);
    expect(batches.some((b) => b.attempts > 1)).toBe(true); // the kill did cut requests
    expect(unexpected(statuses, [0, 200, 503])).toEqual([]);
  }, 300_000);

  test("each key sent to both, the database's host killed -9 mid-load: one row per key, one answer", async () => {
    const { bases, host, hostPort, other } = await twoServices();
    const statuses: StatusTally = new Map();
    const customers = Array.from({ length: 600 }, (_, i) => `shared-${i}`);
    const sent = sentToBoth(bases, customers, statuses);
    await Bun.sleep(1500);
    const restarted = await killAndRestart(host, hostPort);
    const { answers, differing } = await sent;
    const newHostPid = readLock(dataDir)?.pid;
    expect(await stopGracefully(restarted)).toBe(0);
    expect(await stopGracefully(other)).toBe(0);

    const handle = await createDatabase({ dataDir });
    try {
      await checkKept(handle.db, "two services, host killed -9", answers, statuses);
    } finally {
      await handle.close();
    }
    console.log(
      `store host pid ${host.pid} killed, then hosted by pid ${newHostPid}; ${differing} customers answered differently by the two services`,
    );
    expect(differing).toBe(0);
    expect(retried(answers)).toBeGreaterThan(0); // the kill did cut requests
    expect(unexpected(statuses, [0, 200, 503])).toEqual([]);
  }, 300_000);
});
