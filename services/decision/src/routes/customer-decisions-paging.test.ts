// Paging GET /admin/customers/:id/decisions through rows whose decided_at has microseconds (the
// column's default, now(): rows written by hand, by a backfill, or without a time): next_page
// gives `before` in milliseconds, so the rows after the page's last one within its millisecond
// were skipped (a probe's 8 rows 100 µs apart, 3 a page: page 2 was empty, 5 never listed).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const ADMIN = "customer-paging-admin-0123456789";
let t: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  t = await openDecisionTestApp({ ADMIN_API_KEYS: ADMIN });
  app = t.app;
  // Through the service first, so its migrations have made the table.
  expect((await listPage("")).decisions).toEqual([]);
  await t.testDb.handle.db.execute(sql`
    insert into decision_log (decision_id, decided_at, customer_id, inputs, chosen_action,
      scores, policy_name, policy_version, model_name, model_version)
    select gen_random_uuid(), timestamptz '2026-12-01 10:00:00.123+00' + g * interval '100 microseconds',
      'micro-1', '{}'::jsonb, 'none', '{}'::jsonb, 'default', 1, 'purchase', 1
    from generate_series(1, 8) g
    union all
    select gen_random_uuid(), timestamptz '2026-12-01 09:00:00+00' + g * interval '1 second',
      'micro-1', '{}'::jsonb, 'none', '{}'::jsonb, 'default', 1, 'purchase', 1
    from generate_series(1, 4) g`);
}, 30_000);

afterAll(() => t.close());

interface Page {
  decisions: Array<{ decision_id: string; decided_at: string }>;
  next_page: { before: string; before_id: string } | null;
}

async function listPage(query: string): Promise<Page> {
  const res = await app.request(`/admin/customers/micro-1/decisions?limit=3${query}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

test("paging lists every decision once, newest first, when times have microseconds", async () => {
  const seen: Page["decisions"] = [];
  let query = "";
  for (let pages = 0; pages < 10; pages++) {
    const page = await listPage(query);
    seen.push(...page.decisions);
    if (!page.next_page) break;
    query = `&${new URLSearchParams(page.next_page)}`;
  }
  expect(seen.length).toBe(12);
  expect(new Set(seen.map((d) => d.decision_id)).size).toBe(12);
  const times = seen.map((d) => d.decided_at);
  expect(times).toEqual([...times].sort().reverse());
});

test("a full last page says it is the last: 12 decisions at 3 a page are 4 pages, not 4 and an empty one", async () => {
  const sizes: number[] = [];
  let query = "";
  for (let pages = 0; pages < 10; pages++) {
    const page = await listPage(query);
    sizes.push(page.decisions.length);
    if (!page.next_page) break;
    query = `&${new URLSearchParams(page.next_page)}`;
  }
  expect(sizes).toEqual([3, 3, 3, 3]);
});
