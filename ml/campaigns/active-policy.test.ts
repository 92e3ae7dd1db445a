// The campaign commands read the active policy as stored: one stored before the limits on new
// definitions (a rule listing 60 actions, a 200-character default action) is the starting point
// of `campaign learn` like any other, not "the active policy … has an invalid definition".
import { afterAll, beforeAll, expect, test } from "bun:test";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { sql } from "drizzle-orm";
import { ensureActivePolicy } from "./active-policy.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase("pglite");
});
afterAll(() => db.cleanup());

test("an active policy stored before the limits is read as stored", async () => {
  const definition = {
    rules: [
      { rule: "max_cost", value: 5, actions: Array.from({ length: 60 }, (_, i) => `offer-${i}`) },
    ],
    default_action: "x".repeat(200),
  };
  await db.handle.db.execute(sql`
    insert into policies (name, version, definition, active, activated_at)
    values ('many-actions', 1, ${JSON.stringify(definition)}::jsonb, true, now())`);
  const active = await ensureActivePolicy(db.handle.db);
  expect([active.name, active.definition.rules[0]?.actions?.length]).toEqual(["many-actions", 60]);

  await db.handle.db.execute(sql`
    update policies set definition = '{"rules":[{"rule":"max_cost","value":-1}]}'::jsonb`);
  await expect(ensureActivePolicy(db.handle.db)).rejects.toThrow(
    "the active policy many-actions v1 has an invalid definition",
  );
});
