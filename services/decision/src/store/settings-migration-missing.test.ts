// The decision store's case rule lives in decision_store_settings (migration 0016). The Bun, Node
// and Deno entries migrate as they open the store (openDecisionDatabase); the Worker never does
// (its PostgreSQL is migrated at deploy). A Worker on a database whose migrations stopped at 0015
// answered /ready 200 (the probe read decision_log only) and every customer lookup and erasure
// an opaque 500 "Internal server error". Now /ready fails and those routes answer 503, both
// naming the migration and `npm run db:migrate`; the entries' open applies it.
import { afterEach, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";
import { CircuitBreaker } from "../forecast-client/circuit-breaker.ts";
import { databaseReadinessCheck } from "./database-readiness.ts";
import { IdCaseRule } from "./id-case-rule.ts";
import { openDecisionDatabase } from "./open-decision-database.ts";

const ADMIN = "settings-missing-admin-key-0123456789";
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** When migration 0016 was made: its journal row's created_at, and every later one's above it. */
const when0016 = (
  (await Bun.file(
    new URL("../../../../shared/db/migrations/meta/_journal.json", import.meta.url),
  ).json()) as { entries: Array<{ tag: string; when: number }> }
).entries.find((e) => e.tag === "0016_decision_store_settings")?.when;

/**
 * A PostgreSQL database migrated up to 0015: 0016's table and the later migrations' columns taken
 * away (0017: decision_log's exploration columns), and their journal rows.
 */
async function stoppedAt0015(): Promise<TestDatabase> {
  const t = await openTestDatabase("postgres");
  cleanups.push(() => t.cleanup());
  await t.handle.db.execute(sql`drop table decision_store_settings`);
  await t.handle.db.execute(
    sql`alter table decision_log drop column explored, drop column propensity`,
  );
  await t.handle.db.execute(
    sql`delete from drizzle.__drizzle_migrations where created_at >= ${when0016}`,
  );
  return t;
}

const settingsTable = async (t: TestDatabase) =>
  (
    (await t.handle.db.execute(
      sql`select to_regclass('decision_store_settings')::text as t`,
    )) as unknown as Array<{ t: string | null }>
  )[0]?.t ?? null;

test("the Worker's way (no migration at start): /ready and the admin routes name 0016 and db:migrate", async () => {
  const t = await stoppedAt0015();
  expect(await settingsTable(t)).toBeNull();
  const database = async () => t.handle.db;
  const ready = await databaseReadinessCheck(database).check();
  expect(ready).toEqual({
    ok: false,
    reason:
      "decision database: the decision store has no table decision_store_settings: migration " +
      "0016_decision_store_settings is not applied; run `npm run db:migrate` against this database",
  });
  const deps = buildDecisionDeps(parseConfig({ ADMIN_API_KEYS: ADMIN }), {
    runtime: "test",
    database,
    writeThrough: true,
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  cleanups.push(async () => {
    await deps.audit.close(5000);
  });
  const app = createApp(deps);
  for (const method of ["GET", "DELETE"]) {
    const res = await app.request("/admin/customers/c-1/decisions", {
      method,
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect({ method, status: res.status, code: body.error.code }).toEqual({
      method,
      status: 503,
      code: "unavailable",
    });
    expect(body.error.message).toContain("0016_decision_store_settings");
    expect(body.error.message).toContain("npm run db:migrate");
  }
});

test("a folding answer on such a database: the decision stands, the log line names the fix", async () => {
  const t = await stoppedAt0015();
  const lines: string[] = [];
  const rule = new IdCaseRule({
    database: async () => t.handle.db,
    logger: createLogger({ sink: (line) => lines.push(line) }),
    ask: async () => null,
  });
  const model = { name: "purchase", version: 1, ids_lower_cased: true };
  const client = rule.learningFrom({
    breaker: new CircuitBreaker({}),
    forecast: async () => ({ model, forecasts: [] }),
  });
  const answer = await client.forecast({ horizon: { value: 4, unit: "week" }, customers: [] });
  expect(answer.model.version).toBe(1);
  const warned = lines.filter((line) => line.includes("could not record"));
  expect(warned).toHaveLength(1);
  expect(warned[0]).toContain("0016_decision_store_settings");
  expect(warned[0]).toContain("npm run db:migrate");
});

test("the entries' way: opening the store applies 0016", async () => {
  const t = await stoppedAt0015();
  const handle = await openDecisionDatabase(
    { DATABASE_URL: t.options.databaseUrl as string, DECISION_DATA_DIR: "" },
    () => {},
  );
  await handle.close();
  expect(await settingsTable(t)).toBe("decision_store_settings");
});
