// A query that fails on a real embedded database (PGlite, through drizzle) is logged by the real
// logger without its parameters: a customer id passed to it appears nowhere in the line.
import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { openTestDatabase } from "../testing/test-databases.ts";
import { createLogger } from "./logger.ts";

test("a failed query's log line keeps the query and the stack, not the parameters", async () => {
  const testDb = await openTestDatabase("pglite");
  const lines: string[] = [];
  const logger = createLogger({ sink: (line) => lines.push(line) });
  try {
    const customer = "query-params-4242@example.com";
    const failed = await testDb.handle.db
      .execute(sql`select * from no_such_table where customer_id = ${customer}`)
      .then(
        () => null,
        (err: unknown) => err as Error,
      );
    expect(failed?.message).toContain(customer); // drizzle's own message names it
    logger.error("request", { error: failed });
    // Before: the line named the customer twice, in `message` and in `stack`.
    expect(lines.join("\n")).not.toContain("query-params-4242");
    const logged = JSON.parse(lines[0] as string).error;
    expect(logged.message).toContain("no_such_table");
    expect(logged.message).toContain("params: (not logged)");
    expect(logged.stack).toMatch(/^Error: Failed query: .*\nparams: \(not logged\)\n\s+at /);
    expect(logged.cause.message).toContain("no_such_table");
    // Other errors are logged as they are.
    logger.error("other", { error: new Error("params: 7") });
    expect(JSON.parse(lines[1] as string).error.message).toBe("params: 7");
  } finally {
    await testDb.cleanup();
  }
});
