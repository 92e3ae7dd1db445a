// batchRequestFastPath against batchRequestSchema: whatever the fast path accepts, the schema
// accepts with the same output, byte for byte as JSON (the idempotency hash reads it so); bodies
// it is unsure of are left to the schema, and it takes the usual batch itself.
import { expect, test } from "bun:test";
import { batchRequestFastPath, batchRequestSchema } from "./decision-schemas.ts";

const usual = (): Record<string, unknown> => ({
  customers: [{ id: "a" }, { id: "José" }, { id: "c-3" }],
  horizon: { value: 26, unit: "week" },
  actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
  budget: 200,
});

/** The usual body, and each with one thing changed: a customer, a field, the key order. */
function variants(): unknown[] {
  const customerEdits: unknown[] = [
    { id: "" },
    { id: "x".repeat(256) },
    { id: "x".repeat(257) },
    { id: "." },
    { id: ".." },
    { id: "a" },
    { id: "Jose\u0301" },
    { id: 7 },
    { id: null },
    {},
    { id: "n", extra: 1 },
    { id: "s", summary: { frequency: 1, recency: 1, T: 2 } },
    { id: "t", transactions: [{ at: "2024-01-01", amount: 1 }] },
    null,
    [],
    "z",
    JSON.parse('{"id": "p", "__proto__": {"x": 1}}'),
  ];
  const out: unknown[] = [usual(), null, [], "x", {}];
  for (const c of customerEdits) {
    out.push({ ...usual(), customers: [...(usual().customers as unknown[]), c] });
    out.push({ ...usual(), customers: [c] });
  }
  const fieldEdits: Array<[string, unknown]> = [
    ["customers", []],
    ["customers", Array.from({ length: 10_001 }, (_, i) => ({ id: `c${i}` }))],
    ["customers", Array.from({ length: 10_000 }, (_, i) => ({ id: `c${i}` }))],
    ["customers", { id: "a" }],
    ["horizon", { value: 9999, unit: "week" }],
    ["actions", []],
    ["budget", -1],
    ["budget", 1e308],
    ["campaign", "spring"],
    ["control_share", 0.2],
    ["exploration_share", 0.1],
    ["unknown", 1],
  ];
  for (const [field, value] of fieldEdits) out.push({ ...usual(), [field]: value });
  out.push({ ...usual(), campaign: "spring", control_share: 0.2, exploration_share: 0.1 });
  const { customers, ...rest } = usual();
  out.push({ ...rest, customers }); // customers last
  out.push({ budget: 5, ...usual() });
  return out;
}

test("whatever the fast path accepts, the schema accepts with the same JSON", () => {
  let fastCount = 0;
  for (const body of variants()) {
    const fast = batchRequestFastPath(body);
    const zod = batchRequestSchema.safeParse(body);
    if (fast === undefined) continue;
    fastCount++;
    expect(zod.success).toBe(true);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  }
  expect(fastCount).toBeGreaterThan(8);
});

test("the usual batch, 1,000 customers by id, is read by the fast path", () => {
  const body = { ...usual(), customers: Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}` })) };
  const fast = batchRequestFastPath(body);
  expect(fast?.customers.length).toBe(1000);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(batchRequestSchema.parse(body)));
});

test("repeats and refused ids are left to the schema, which names them", () => {
  for (const c of [{ id: "a" }, { id: "Jose\u0301" }, { id: ".." }, { id: "" }]) {
    const body = { ...usual(), customers: [...(usual().customers as unknown[]), c] };
    expect(batchRequestFastPath(body)).toBeUndefined();
    expect(batchRequestSchema.safeParse(body).success).toBe(false);
  }
});
