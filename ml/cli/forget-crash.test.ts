// `ml forget` as a real process, killed with SIGKILL inside a chunk's transaction (held there by a
// lock this test takes), with its PostgreSQL stopped at that point, and on the embedded default. Counted after
// every blow: each chunk of 10,000 customers is erased whole or not at all, in order; customers
// not asked for keep every row; each version's customers_revision moved once per erased chunk.
// A second run finishes the job.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { queryRows } from "@pp/shared/db/database.ts";
import { customerHashSql } from "@pp/shared/registry/customer-erasures.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { decisionRow } from "@pp/shared/testing/decision-rows.ts";
import { exitCodeOf, type Proc, startBun, stopProc } from "@pp/shared/testing/processes.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { postgresBinDirOrWarn, ThrowawayPostgres } from "@pp/shared/testing/throwaway-postgres.ts";
import { sql } from "drizzle-orm";
import { FORGET_CHUNK } from "./forget.ts";

setDefaultTimeout(600_000);

const root = resolve(import.meta.dirname, "../..");
const CHUNKS = 3;
const forgotten = Array.from(
  { length: CHUNKS * FORGET_CHUNK },
  (_, n) => `f${String(n).padStart(5, "0")}`,
);
const kept = Array.from({ length: 3000 }, (_, n) => `k${String(n).padStart(4, "0")}`);
const VERSIONS = 2;
const EVERY = 10; // one decision per tenth customer

const dir = mkdtempSync(join(tmpdir(), "pp-forget-crash-"));
const idsFile = join(dir, "ids.txt");
writeFileSync(idsFile, `${forgotten.join("\n")}\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two versions holding every customer, and a decision per tenth customer. */
async function seed(handle: DatabaseHandle): Promise<void> {
  await handle.migrate();
  const registry = new ModelRegistry(handle.db, new FileArtifactStore(join(dir, "artifacts")));
  for (let v = 0; v < VERSIONS; v++) {
    await registry.registerVersion(
      "m",
      registrationInput(plainCustomers([...forgotten, ...kept]), v === VERSIONS - 1),
    );
  }
  const log = new DecisionLogRepository(handle.db);
  const decided = [...forgotten, ...kept].filter((_, i) => i % EVERY === 0);
  for (let i = 0; i < decided.length; i += 1000) {
    await log.insertMany(decided.slice(i, i + 1000).map((id) => decisionRow(id)));
  }
}

/**
 * The embedded store seeded once per file and copied to `dataDir` (closed, so a copy is the same
 * database): both embedded suites start from the same seed, which is most of their CPU on PGlite.
 */
let embeddedSeed: Promise<string> | undefined;
async function seededEmbedded(dataDir: string): Promise<void> {
  embeddedSeed ??= (async () => {
    const template = join(dir, "embedded-seed");
    const handle = await createDatabase({ dataDir: template });
    try {
      await seed(handle);
    } finally {
      await handle.close();
    }
    return template;
  })();
  cpSync(await embeddedSeed, dataDir, { recursive: true });
}

interface Counts {
  /** Group → rows: "f0".."f2" are the chunks in the order they are erased, "k" the kept. */
  features: Record<string, number>;
  decisions: Record<string, number>;
  revisions: number[];
  markers: number;
}

async function counts(handle: DatabaseHandle): Promise<Counts> {
  const group = (rows: { g: string; n: number }[]) =>
    Object.fromEntries(rows.map((r) => [r.g, Number(r.n)]));
  const byGroup = (table: string) =>
    queryRows<{ g: string; n: number }>(
      handle.db,
      sql.raw(`select case when customer_id like 'k%' then 'k' else substr(customer_id, 1, 2) end as g,
         count(*)::int as n from ${table} group by 1`),
    );
  const revisions = await queryRows<{ r: number }>(
    handle.db,
    sql`select customers_revision as r from model_versions order by id`,
  );
  const [markers] = await queryRows<{ n: number }>(
    handle.db,
    sql`select count(*)::int as n from customer_erasures`,
  );
  return {
    features: group(await byGroup("customer_features")),
    decisions: group(await byGroup("decision_log")),
    revisions: revisions.map((r) => Number(r.r)),
    markers: Number(markers?.n ?? 0),
  };
}

/** Checks the all-or-nothing, in-order rule; returns how many chunks are erased. */
function expectWholeChunks(c: Counts, initialRevisions: number[]): number {
  const chunkFeatures = VERSIONS * FORGET_CHUNK;
  const chunkDecisions = FORGET_CHUNK / EVERY;
  let erased = 0;
  for (let k = 0; k < CHUNKS; k++) {
    const f = c.features[`f${k}`] ?? 0;
    const d = c.decisions[`f${k}`] ?? 0;
    expect({ chunk: k, features: f, decisions: d }).toEqual(
      f === 0
        ? { chunk: k, features: 0, decisions: 0 }
        : { chunk: k, features: chunkFeatures, decisions: chunkDecisions },
    );
    if (f === 0) {
      expect(erased).toBe(k); // in order: no gap before an erased chunk
      erased++;
    }
  }
  expect(c.features.k).toBe(VERSIONS * kept.length);
  expect(c.decisions.k).toBe(kept.length / EVERY);
  expect(c.revisions).toEqual(initialRevisions.map((r) => r + erased));
  expect(c.markers).toBe(erased * FORGET_CHUNK);
  return erased;
}

function startForget(env: Record<string, string>): Proc {
  return startBun("ml forget", join(root, "ml/cli.ts"), env, {
    args: ["forget", "--from-file", idsFile],
  });
}

/**
 * Runs `during` while this test holds decision_log locked: a forget that reaches its chunk's last
 * statement (locking decision_log, after the stored rows are deleted and the revisions bumped)
 * waits there, inside its transaction, until `during` has done its damage.
 */
async function withForgetHeldMidChunk(
  handle: DatabaseHandle,
  proc: Proc,
  during: () => Promise<void>,
): Promise<void> {
  // The holder's transaction ends when its connection does (pg.stop()), maybe before `during`
  // has: that is awaited too.
  let damage: Promise<void> = Promise.resolve();
  await handle.db
    .transaction(async (tx) => {
      await tx.execute(sql`lock table decision_log in exclusive mode`);
      const until = performance.now() + 120_000;
      for (;;) {
        // pg_stat_activity is read once per transaction unless its snapshot is cleared.
        await tx.execute(sql`select pg_stat_clear_snapshot()`);
        const [waiting] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'
            and query ilike '%lock table%decision_log%' and pid <> pg_backend_pid()`,
        );
        if (Number(waiting?.n) > 0) break;
        if (proc.exited() || performance.now() > until)
          throw new Error(`forget never waited: ${proc.output.join("\n")}`);
        await Bun.sleep(5);
      }
      damage = during();
      await damage;
    })
    .catch((error: Error) => {
      // The database stopped under the holder too: expected in that test.
      if (!/terminat|closed|ECONNRESET|CONNECTION_/i.test(error.message)) throw error;
    });
  await damage;
}

describe("ml forget on PostgreSQL", () => {
  const bin = postgresBinDirOrWarn("ml forget crash test");
  let pg: ThrowawayPostgres;
  let handle: DatabaseHandle;
  let initial: number[];
  let env: Record<string, string>;
  beforeAll(async () => {
    if (!bin) return;
    pg = ThrowawayPostgres.create(bin);
    env = {
      DATABASE_URL: pg.url,
      ARTIFACT_STORE_URI: `file://${join(dir, "artifacts")}`,
      DATA_DIR: join(dir, "unused"),
    };
    handle = await createDatabase({ databaseUrl: pg.url });
    await seed(handle);
    initial = (await counts(handle)).revisions;
  });
  afterAll(async () => {
    await handle?.close();
    pg?.destroy();
  });

  test.skipIf(!bin)(
    "killed inside a chunk's transaction, after its deletes: the chunk is all there",
    async () => {
      const proc = startForget(env);
      await withForgetHeldMidChunk(handle, proc, async () => {
        await stopProc(proc, "SIGKILL");
      });
      expect(expectWholeChunks(await counts(handle), initial)).toBe(0);
    },
  );

  test.skipIf(!bin)(
    "PostgreSQL stopped under it mid-chunk: it exits 1, nothing is half-done, a rerun finishes",
    async () => {
      const proc = startForget(env);
      const ended: { code?: number | null | "hung" } = {};
      await withForgetHeldMidChunk(handle, proc, async () => {
        pg.stop();
        ended.code = await Promise.race([
          exitCodeOf(proc),
          Bun.sleep(60_000).then(() => "hung" as const),
        ]);
        pg.start(); // before the holder's transaction ends: its connection is gone too
      });
      if (!proc.exited()) await stopProc(proc, "SIGKILL"); // hung: it would spin on after the test
      // The holder's connection died in its transaction; its pool may never finish closing.
      await Promise.race([handle.close().catch(() => {}), Bun.sleep(2000)]);
      handle = await createDatabase({ databaseUrl: pg.url });
      console.log(`forget, PostgreSQL stopped: exit ${ended.code}; ${proc.output.join(" / ")}`);
      expect(ended.code).toBe(1);
      expect(proc.output.join("\n")).toContain(
        `error: lost the connection to the database at DATABASE_URL=${pg.url} (CONNECTION_CLOSED`,
      );
      // The driver's words only: drizzle's wrapper added the query and, a line on, its parameters.
      expect(proc.output.join("\n")).not.toMatch(/Failed query|params:/);
      expect(expectWholeChunks(await counts(handle), initial)).toBe(0);
      const rerun = startForget(env);
      expect(await exitCodeOf(rerun)).toBe(0);
      expect(expectWholeChunks(await counts(handle), initial)).toBe(CHUNKS);
      expect(rerun.output.join("\n")).toContain(`forgot ${forgotten.length} customer(s)`);
    },
  );
});

describe("ml forget on the embedded default", () => {
  const dataDir = join(dir, "embedded");
  const env = { DATA_DIR: dataDir, ARTIFACT_STORE_URI: `file://${join(dir, "artifacts-e")}` };
  let initial: number[];
  beforeAll(async () => {
    await seededEmbedded(dataDir);
    const handle = await createDatabase({ dataDir });
    initial = (await counts(handle)).revisions;
    await handle.close();
  });

  /** Starts a forget and kills it `ms` after its first progress line (or its exit). */
  async function killedAfterFirstChunk(ms: number): Promise<number> {
    const proc = startForget(env);
    const until = performance.now() + 120_000;
    while (!proc.exited() && !proc.output.some((l) => l.startsWith("forgot customers 1-"))) {
      if (performance.now() > until) break;
      await Bun.sleep(5);
    }
    await Bun.sleep(ms);
    await stopProc(proc, "SIGKILL");
    const handle = await createDatabase({ dataDir });
    try {
      return expectWholeChunks(await counts(handle), initial);
    } finally {
      await handle.close();
    }
  }

  test("killed mid-run twice, then run to the end: whole chunks each time, then all of them", async () => {
    const seen = [await killedAfterFirstChunk(0), await killedAfterFirstChunk(50)];
    expect(seen[0]).toBeGreaterThanOrEqual(1);
    const last = startForget(env);
    expect(await exitCodeOf(last)).toBe(0);
    const handle = await createDatabase({ dataDir });
    try {
      expect(expectWholeChunks(await counts(handle), initial)).toBe(CHUNKS);
    } finally {
      await handle.close();
    }
    console.log(
      `embedded: chunks erased after each kill -9: ${seen.join(", ")}; all ${CHUNKS} after the rerun`,
    );
  });
});

describe("ml forget on the embedded default while another process writes decisions", () => {
  const dataDir = join(dir, "embedded-shared");
  const env = { DATA_DIR: dataDir, ARTIFACT_STORE_URI: `file://${join(dir, "artifacts-s")}` };
  const keptFile = join(dir, "kept.txt");
  const PER_APPEND = 50;
  let initial: number[];
  beforeAll(async () => {
    writeFileSync(keptFile, `${kept.join("\n")}\n`);
    await seededEmbedded(dataDir);
    const handle = await createDatabase({ dataDir });
    initial = (await counts(handle)).revisions;
    await handle.close();
  });

  const acked = (writer: Proc): [number, number] => {
    const last = writer.output.findLast((l) => l.startsWith("acked "));
    const [, k = "0", e = "0"] = last?.split(" ") ?? [];
    return [Number(k), Number(e)];
  };
  async function untilAcked(writer: Proc, atLeast: number): Promise<void> {
    const until = performance.now() + 120_000;
    while (acked(writer)[0] < atLeast) {
      if (writer.exited() || performance.now() > until)
        throw new Error(`the writer stalled: ${writer.output.slice(-5).join("\n")}`);
      await Bun.sleep(5);
    }
  }

  test("every acknowledged decision about a kept customer is there; none about an erased one made before its erasure", async () => {
    const writer = startBun(
      "decision writer",
      join(root, "shared/testing/decision-writer-child.ts"),
      env,
      {
        args: [keptFile, idsFile, String(PER_APPEND)],
      },
    );
    try {
      await untilAcked(writer, PER_APPEND);
      const forget = startForget(env);
      expect(await exitCodeOf(forget)).toBe(0);
      const atForgetEnd = acked(writer)[1];
      await untilAcked(writer, acked(writer)[0] + 10 * PER_APPEND); // after: the markers refuse those decided before the erasure
      await stopProc(writer, "SIGKILL");
      const [keptAcked, erasedAcked] = acked(writer);
      const handle = await createDatabase({ dataDir });
      try {
        const c = await counts(handle);
        expect(Object.keys(c.features).sort()).toEqual(["k"]);
        expect(c.features.k).toBe(VERSIONS * kept.length);
        // No erased customer's decision made before its erasure (or within the second after it,
        // on the database's clock); the writer goes on deciding about them, and those made later
        // are the customer coming back, logged as usual.
        const [early] = await queryRows<{ n: number }>(
          handle.db,
          sql.raw(`select count(*)::int as n from decision_log d join customer_erasures e
             on e.customer_sha256 = ${customerHashSql("d.customer_id")}
             where d.decided_at < e.erased_at + interval '0.9 seconds'`),
        );
        expect(Number(early?.n)).toBe(0);
        // Killed between a commit and its "acked" line, one append may be stored but unacknowledged.
        expect(c.decisions.k).toBeGreaterThanOrEqual(kept.length / EVERY + keptAcked);
        expect(c.decisions.k).toBeLessThanOrEqual(kept.length / EVERY + keptAcked + PER_APPEND / 2);
        expect(c.revisions).toEqual(initial.map((r) => r + CHUNKS));
        expect(c.markers).toBe(forgotten.length);
        console.log(
          `embedded, two processes: ${keptAcked} decisions about kept customers acknowledged, ` +
            `${(c.decisions.k ?? 0) - kept.length / EVERY} stored; ${erasedAcked} about erased ones sent ` +
            `(${atForgetEnd} before the forget ended), 0 stored of those made before their erasure`,
        );
      } finally {
        await handle.close();
      }
    } finally {
      if (!writer.exited()) await stopProc(writer, "SIGKILL");
    }
  });
});
