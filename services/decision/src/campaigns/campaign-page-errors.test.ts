// A real decision process on PostgreSQL whose campaign results cannot be read: the campaign pages
// answer 503 with the driver's reason, never the query or its parameters, to a key or a link.
import { expect, test } from "bun:test";
import { openTestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { startServiceProcesses } from "../../../testing/service-processes.ts";

const ADMIN = "campaign-page-errors-admin-0123456789";

test("a failed read of campaign results is a 503 naming the driver's reason only", async () => {
  const t = await openTestDatabase("postgres");
  const services = await startServiceProcesses({
    decision: { ADMIN_API_KEYS: ADMIN, DATABASE_URL: t.options.databaseUrl as string },
  });
  try {
    await t.handle.db.execute(sql`alter table campaign_results rename to campaign_results_moved`);
    const base = services.decision.base;
    const link = await fetch(`${base}/admin/campaign-links`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
      body: JSON.stringify({ campaign: "spring-97" }),
    });
    const signed = ((await link.json()) as { url: string }).url;
    for (const [path, headers] of [
      ["/campaigns", { authorization: `Bearer ${ADMIN}` }],
      [signed, {}],
    ] as const) {
      const res = await fetch(`${base}${path}`, { headers });
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(503);
      // Before: "Campaign results unavailable: Failed query: select … params: spring-97".
      expect(error.message).toBe(
        'Campaign results unavailable: relation "campaign_results" does not exist',
      );
    }
  } finally {
    await services.stop();
    await t.cleanup();
  }
}, 180_000);
