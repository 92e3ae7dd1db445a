// The Workers' /ready database check on a real embedded database whose decision log is missing:
// its reason (served to anyone, /ready needs no key) names the problem and the fix, never the query.
import { expect, test } from "bun:test";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { databaseReadinessCheck } from "./database-readiness.ts";

test("a missing decision log: the driver's reason and the migrate hint, not the failed query", async () => {
  const testDb = await openTestDatabase("pglite");
  try {
    const db = testDb.handle.db;
    const check = databaseReadinessCheck(async () => db);
    expect(await check.check()).toEqual({ ok: true });
    await db.execute(sql`alter table decision_log rename to decision_log_moved`);
    const failed = await check.check();
    // Before: "decision database: Failed query: select … from "decision_log" …\nparams: ", no hint.
    expect(failed).toEqual({
      ok: false,
      reason:
        'decision database: relation "decision_log" does not exist (run `npm run db:migrate` against it)',
    });
  } finally {
    await testDb.cleanup();
  }
});
