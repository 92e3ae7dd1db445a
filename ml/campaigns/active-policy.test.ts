// The campaign commands read the active policy as stored: one stored before the limits on new
// definitions (a rule listing 60 actions, a 200-character default action) is the starting point
// of `campaign learn` like any other, not "the active policy … has an invalid definition".
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createDatabase } from "@pp/shared/db/client.ts";
import { policies } from "@pp/shared/db/schema.ts";
import { namedPolicies } from "@pp/shared/policy/named-policies.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
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

// Two processes seeding a new store at once (two `ml campaign` commands; one and the decision
// service's first decision): each checked for versions, then added its own copy of every
// built-in: `default` v1 and v2, `lapsing-uplift` v1 and v2, in 5 of 5 runs on PostgreSQL.
for (const driver of testDrivers()) {
  test(`${driver}: two at once on a new store store each built-in policy once`, async () => {
    for (let round = 0; round < 4; round++) {
      const store = await openTestDatabase(driver);
      // A second connection, as a second process has (on PGlite, a client of the same host).
      const other = await createDatabase(store.options);
      try {
        const active = await Promise.all([
          ensureActivePolicy(store.handle.db),
          ensureActivePolicy(other.db),
        ]);
        expect(active.map((a) => `${a.name} v${a.version}`)).toEqual(["default v1", "default v1"]);
        const rows = await store.handle.db.select().from(policies);
        expect(
          rows.map((r) => `${r.name} v${r.version}${r.active ? " active" : ""}`).sort(),
        ).toEqual(
          Object.keys(namedPolicies)
            .map((name) => `${name} v1${name === "default" ? " active" : ""}`)
            .sort(),
        );
      } finally {
        await other.close();
        await store.cleanup();
      }
    }
  }, 120_000);
}
