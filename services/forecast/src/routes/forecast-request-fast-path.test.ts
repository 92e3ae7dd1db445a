// The zod-free fast path accepts only bodies the schema accepts, with the schema's exact output.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { forecastRequestFastPath } from "./forecast-request-fast-path.ts";
import { forecastRequestSchema } from "./forecast-schemas.ts";

const number = fc.oneof(
  fc.constantFrom(0, -1, 0.1, 1, 7, 10, 10.5, 39, 260, 261, 1826, 1827, -0, Number.NaN),
  fc.double(),
);
const anything = fc.oneof(number, fc.string(), fc.constant(null), fc.boolean(), fc.constant([]));
const id = fc.oneof(
  fc.string({ minLength: 0, maxLength: 3 }),
  fc.constantFrom("c-1", "x".repeat(256), "x".repeat(257), "__proto__"),
);
// Summaries near every bound: integers and not, recency above T, x = 0 with recency > 0, extra keys.
const summaryNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, 2, 2.5, 39, 1e6, 1e6 + 1, 1e12, 1e12 + 1e4, -1),
  fc.double({ min: 0, max: 60 }),
  number,
);
const validSummary = fc.record(
  {
    frequency: fc.nat(5),
    recency: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 20, noNaN: true })),
    T: fc.double({ min: 0, max: 40, noNaN: true }),
    monetary: fc.double({ min: 0, max: 1000, noNaN: true }),
  },
  { requiredKeys: ["frequency", "recency", "T"] },
);
const summary = fc.oneof(
  { weight: 8, arbitrary: validSummary },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        frequency: fc.oneof(fc.nat(5), summaryNumber),
        recency: summaryNumber,
        T: summaryNumber,
        monetary: summaryNumber,
      },
      { requiredKeys: ["frequency", "recency", "T"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ T: summaryNumber, recency: summaryNumber }) },
  {
    weight: 1,
    arbitrary: fc.record({ frequency: fc.nat(5), recency: fc.nat(5), T: fc.nat(9), x: anything }),
  },
  { weight: 1, arbitrary: anything },
);
const customer = fc.oneof(
  fc.record({ id }),
  fc.record({ id: anything }),
  fc.record({ id, summary }),
  fc.record({ summary, id }), // other key order
  fc.record({ summary }),
  fc.record({ id, summary, transactions: fc.constant([{ at: "1997-01-01", amount: 1 }]) }),
  fc.record({ id, extra: anything }),
  anything,
);
const horizon = fc.oneof(
  fc.record({ value: number, unit: fc.constantFrom("day", "week", "month") }),
  fc.record({ unit: fc.constantFrom("day", "week"), value: number }), // other key order
  fc.record({ value: number }),
  fc.record({ value: number, unit: fc.constant("week"), extra: anything }),
  anything,
);
// Mostly valid id-only bodies, each key sometimes replaced, dropped or joined by another.
const validHorizon = fc.record({
  value: fc.oneof(fc.constantFrom(1, 13, 39, 52.5, 260), fc.double({ min: 0, max: 1826 })),
  unit: fc.constantFrom("day", "week"),
});
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        horizon: fc.oneof(
          { weight: 4, arbitrary: validHorizon },
          { weight: 1, arbitrary: horizon },
        ),
        discount_rate: fc.oneof(fc.double({ min: 0, max: 10 }), number, anything),
        customers: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.array(fc.record({ id: fc.string({ minLength: 1 }) }), {
              minLength: 1,
              maxLength: 4,
            }),
          },
          {
            weight: 4,
            arbitrary: fc.array(
              fc.oneof(
                fc.record({ id: fc.string({ minLength: 1 }), summary }),
                fc.record({ id: fc.string({ minLength: 1 }) }),
              ),
              { minLength: 1, maxLength: 3 },
            ),
          },
          { weight: 1, arbitrary: fc.array(customer, { maxLength: 4 }) },
          { weight: 1, arbitrary: anything },
        ),
        as_of: fc.constantFrom("1997-03-01", "bad"),
        other: anything,
      },
      { requiredKeys: ["horizon", "customers"] },
    ),
  },
  { weight: 1, arbitrary: anything },
);

test("every body the fast path takes, the schema takes with the same output", () => {
  let taken = 0;
  fc.assert(
    fc.property(body, (raw) => {
      // Through JSON, as a request body arrives (1e999 becomes Infinity, NaN null).
      const value = JSON.parse(JSON.stringify(raw) ?? "null");
      const fast = forecastRequestFastPath(value);
      if (fast === undefined) return;
      taken++;
      const slow = forecastRequestSchema.safeParse(value);
      expect(slow.success).toBe(true);
      expect(fast).toEqual(slow.data as typeof fast);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
    }),
    { numRuns: 20_000, seed: 7 },
  );
  expect(taken).toBeGreaterThan(100); // the property is not vacuous
});

/** The fast path's answer is the schema's, or it defers (undefined); returns whether it answered. */
function agreesWithSchema(raw: unknown): boolean {
  const value = JSON.parse(JSON.stringify(raw) ?? "null");
  const fast = forecastRequestFastPath(value);
  if (fast === undefined) return false;
  const slow = forecastRequestSchema.safeParse(value);
  expect(slow.success).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow.data));
  return true;
}

test("summaries: what the fast path takes, the schema takes with the same output", () => {
  let taken = 0;
  const summaryBody = fc.record({
    horizon: validHorizon,
    discount_rate: fc.double({ min: 0, max: 10, noNaN: true }),
    customers: fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 5 }), summary }), {
      minLength: 1,
      maxLength: 3,
    }),
  });
  fc.assert(
    fc.property(summaryBody, (raw) => {
      if (agreesWithSchema(raw)) taken++;
    }),
    { numRuns: 10_000, seed: 11 },
  );
  expect(taken).toBeGreaterThan(1000);
});

// Transactions near every bound: dates that are not days (Feb 29 of 1900 and 2023, month 13),
// the placeholder day and the day after it, the future, timestamps with and without zones, a
// leap second, amounts and quantities at and past their bounds, extra keys.
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
const twoDaysOn = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
const at = fc.oneof(
  fc.constantFrom(
    "1997-01-01",
    "2000-02-29",
    "1900-02-29",
    "2023-02-29",
    "2024-02-29",
    "2024-13-01",
    "2024-04-31",
    "2024-00-10",
    "0000-01-01",
    "1970-01-01",
    "1970-01-02",
    tomorrow,
    twoDaysOn,
    "1997-01-01T10:00",
    "1997-01-01 10:00:00",
    "1997-01-01T23:59:60.123Z",
    "1997-01-01T10:00:00+0530",
    "1997-01-01T10:00:00-05:00",
    "1997-01-01T24:00",
    "1997-1-1",
    "",
  ),
  fc
    .date({ min: new Date("1969-12-30"), max: new Date(Date.now() + 3 * 86_400_000) })
    .filter((d) => !Number.isNaN(d.getTime()))
    .map((d) => d.toISOString()),
  fc.string({ maxLength: 12 }),
  anything,
);
const amount = fc.oneof(
  fc.constantFrom(0, -0, 1, 19.99, 1e12, 1e12 + 1e4, -1, 1e308),
  fc.double({ min: 0, max: 500, noNaN: true }),
  number,
);
const validAt = fc
  .date({ min: new Date("1970-01-02"), max: new Date() })
  .filter((d) => !Number.isNaN(d.getTime()))
  .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().slice(0, 10)));
const transaction = fc.oneof(
  { weight: 12, arbitrary: fc.record({ at: validAt, amount: fc.nat(1000) }) },
  { weight: 6, arbitrary: fc.record({ at, amount }) },
  { weight: 2, arbitrary: fc.record({ at, amount, quantity: amount }) },
  { weight: 1, arbitrary: fc.record({ amount, at }) }, // other key order
  { weight: 1, arbitrary: fc.record({ at, amount, note: anything }) },
  { weight: 1, arbitrary: fc.record({ at }) },
  { weight: 1, arbitrary: anything },
);

test("transactions and as_of: what the fast path takes, the schema takes with the same output", () => {
  let taken = 0;
  const transactionBody = fc.record(
    {
      horizon: validHorizon,
      as_of: fc.constantFrom(
        "1997-03-01",
        "2024-02-29",
        "2023-02-29",
        "1997-3-1",
        "bad",
        "0001-01-01",
        "1970-01-01",
        "9999-12-31",
      ),
      customers: fc.array(
        fc.oneof(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 5 }),
            transactions: fc.array(transaction, { maxLength: 3 }),
          }),
          fc.record({ transactions: fc.array(transaction, { maxLength: 2 }), id: fc.string() }),
          fc.record({ id: fc.string({ minLength: 1 }), summary: validSummary }),
          fc.record({
            id: fc.string({ minLength: 1 }),
            summary: validSummary,
            transactions: fc.array(transaction, { minLength: 1, maxLength: 1 }),
          }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    },
    { requiredKeys: ["horizon", "customers"] },
  );
  fc.assert(
    fc.property(transactionBody, (raw) => {
      const byTransactions = raw.customers.some((c) => "transactions" in c && !("summary" in c));
      if (agreesWithSchema(raw) && byTransactions) taken++;
    }),
    { numRuns: 20_000, seed: 13 },
  );
  expect(taken).toBeGreaterThan(500); // taken with transactions: the property is not vacuous
});

test("typical bodies take the fast path; what the schema refuses is left to it", () => {
  const horizon = { unit: "week", value: 39 };
  expect(forecastRequestFastPath({ horizon, customers: [{ id: "a" }] })).toEqual({
    horizon: { value: 39, unit: "week" },
    discount_rate: 0,
    customers: [{ id: "a" }],
  });
  const summary = { T: 2, frequency: 1, recency: 1 };
  expect(forecastRequestFastPath({ horizon, customers: [{ summary, id: "a" }] })).toEqual({
    horizon: { value: 39, unit: "week" },
    discount_rate: 0,
    customers: [{ id: "a", summary: { frequency: 1, recency: 1, T: 2 } }],
  });
  const transactions = [{ amount: 1, at: "1997-01-01T10:00:00Z" }];
  expect(
    forecastRequestFastPath({
      horizon,
      as_of: "1997-03-01",
      customers: [{ id: "a", transactions }],
    }),
  ).toEqual({
    horizon: { value: 39, unit: "week" },
    discount_rate: 0,
    as_of: "1997-03-01",
    customers: [{ id: "a", transactions: [{ at: "1997-01-01T10:00:00Z", amount: 1 }] }],
  });
  for (const bad of [
    [{ at: "2023-02-29", amount: 1 }],
    [{ at: "1970-01-01", amount: 1 }],
    [{ at: twoDaysOn, amount: 1 }],
    [{ at: "1997-01-01", amount: -1 }],
    [{ at: "1997-01-01", amount: 1, quantity: 1e13 }],
    [],
  ]) {
    expect(forecastRequestFastPath({ horizon, customers: [{ id: "a", transactions: bad }] })).toBe(
      undefined,
    );
  }
  // What the schema refuses (recency > T, x = 0 with recency > 0) is left to it to name.
  for (const bad of [
    { frequency: 1, recency: 3, T: 2 },
    { frequency: 0, recency: 1, T: 2 },
    { frequency: 1.5, recency: 1, T: 2 },
    { frequency: 1, recency: 1, T: 2, monetary: -1 },
  ]) {
    expect(forecastRequestFastPath({ horizon, customers: [{ id: "a", summary: bad }] })).toBe(
      undefined,
    );
  }
  expect(
    forecastRequestFastPath({ horizon, as_of: "1997-02-29", customers: [{ id: "a" }] }),
  ).toBeUndefined();
  expect(
    forecastRequestFastPath({ horizon: { value: 262, unit: "week" }, customers: [{ id: "a" }] }),
  ).toBeUndefined();
  // JSON text can hold a number that parses to Infinity: the schema refuses it, so must this.
  const huge = JSON.parse('{"horizon":{"value":1e999,"unit":"day"},"customers":[{"id":"a"}]}');
  expect(forecastRequestFastPath(huge)).toBeUndefined();
});
