// A real decision process on PostgreSQL that cannot read its policies before it ever had one:
// decisions are 503 with the driver's reason, never the failed query, in the answer or the log.
import { expect, test } from "bun:test";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { startProcess } from "../../../testing/service-processes.ts";

const KEY = "policy-unavailable-key-0123456789";

test("no policy readable: 503 naming the driver's reason only", async () => {
  // Migrated, then without its policies table before the service ever read a policy.
  const t = await openTestDatabase("postgres");
  await t.handle.db.execute(sql`alter table policies rename to policies_moved`);
  const decision = startProcess(
    "decision",
    {
      API_KEYS: KEY,
      DATABASE_URL: t.options.databaseUrl as string,
      FORECAST_URL: "http://127.0.0.1:9",
      LOG_LEVEL: "info",
    },
    await freePort(),
  );
  try {
    for (
      let i = 0;
      !(await fetch(`${decision.base}/health`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      if (i > 300) throw new Error("the service did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${decision.base}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        customer: {
          id: "policy-unavailable-42",
          summary: { frequency: 1, recency: 1, T: 2, monetary: 3 },
        },
        horizon: { value: 4, unit: "week" },
        actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
      }),
    });
    const { error } = (await res.json()) as { error: { message: string; details?: unknown } };
    expect(res.status).toBe(503);
    expect(error.details).toEqual({ policy: { reason: "unreadable" } });
    // Before: "No decision policy available: Failed query: select … from "policies" … params: …".
    expect(error.message).toBe('No decision policy available: relation "policies" does not exist');
  } finally {
    decision.child.kill("SIGTERM");
    await new Promise((r) => decision.child.once("exit", r));
    await t.cleanup();
  }
  expect(decision.output.filter((l) => l.includes("Failed query"))).toEqual([]);
}, 120_000);
