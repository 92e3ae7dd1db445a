// A check added to new policy definitions must not lock out what is already stored: a policy
// stored with an empty P(alive) segment (accepted before the check) still loads, activates and
// decides, while adding such a definition is refused naming the segment.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { PolicyCatalog } from "./policy-catalog.ts";

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase("pglite");
}, 30_000);
afterAll(() => t.cleanup());

const withEmptySegment = {
  uplifts: {
    email: {
      uplift: 0.1,
      by_p_alive: [
        { min: 0, max: 0.5, uplift: 0.3 },
        { min: 0.7, max: 0.3, uplift: 9 }, // [0.7, 0.3) holds nobody
      ],
    },
  },
};

test("a stored policy with an empty segment still loads and activates; a new one is a 400", async () => {
  const catalog = new PolicyCatalog(() => Promise.resolve(t.handle.db));
  await catalog.active(); // seeds the named policies
  // Written as an earlier version of the service accepted it.
  const stored = await new PolicyStore(t.handle.db).add("learned", withEmptySegment);
  const activated = await catalog.activate("learned", stored.version);
  expect(activated.active).toBe(true);
  const active = await catalog.active();
  expect([active.name, active.definition.uplifts?.email?.by_p_alive?.length]).toEqual([
    "learned",
    2,
  ]);

  const refused = await catalog.add("learned", withEmptySegment).then(
    () => null,
    (error: unknown) => error,
  );
  expect(JSON.stringify(refused)).toContain("definition.uplifts.email.by_p_alive.1.max");
  expect((await new PolicyStore(t.handle.db).list("learned")).length).toBe(1);
});

// min_p_alive 0.9 beside max_p_alive 0.1 was stored (201) and could be activated: every decision
// then chose `none`, without a word.
test("rules no customer can pass together are refused, naming both; disjoint scopes are not", async () => {
  const catalog = new PolicyCatalog(() => Promise.resolve(t.handle.db));
  const add = (rules: unknown[]) =>
    catalog.add("contradiction", { rules }).then(
      () => null,
      (error: unknown) => JSON.stringify(error),
    );
  const refused = await add([
    { rule: "max_cost", value: 5 },
    { rule: "min_p_alive", value: 0.9 },
    { rule: "max_p_alive", value: 0.1, actions: ["email", "sms"] },
  ]);
  expect(refused).toContain("definition.rules.2.value");
  expect(refused).toContain("below min_p_alive 0.9 (rules.1)");
  expect(refused).toContain("email, sms");
  expect(
    await add([
      { rule: "min_p_alive", value: 0.3 },
      { rule: "max_p_alive", value: 0.7 },
    ]),
  ).toBe(null);
  const disjoint = [
    { rule: "min_p_alive", value: 0.9, actions: ["voucher"] },
    { rule: "max_p_alive", value: 0.1, actions: ["email"] },
  ];
  expect(await add(disjoint)).toBe(null);
  expect((await new PolicyStore(t.handle.db).list("contradiction")).length).toBe(2);
});
