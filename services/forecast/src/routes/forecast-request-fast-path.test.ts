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
const customer = fc.oneof(
  fc.record({ id }),
  fc.record({ id: anything }),
  fc.record({ id, summary: fc.constant({ frequency: 1, recency: 1, T: 2 }) }),
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

test("typical bodies take the fast path; summaries, transactions and as_of do not", () => {
  const horizon = { unit: "week", value: 39 };
  expect(forecastRequestFastPath({ horizon, customers: [{ id: "a" }] })).toEqual({
    horizon: { value: 39, unit: "week" },
    discount_rate: 0,
    customers: [{ id: "a" }],
  });
  const summary = { frequency: 1, recency: 1, T: 2 };
  expect(forecastRequestFastPath({ horizon, customers: [{ id: "a", summary }] })).toBeUndefined();
  expect(
    forecastRequestFastPath({ horizon, as_of: "1997-03-01", customers: [{ id: "a" }] }),
  ).toBeUndefined();
  expect(
    forecastRequestFastPath({ horizon: { value: 262, unit: "week" }, customers: [{ id: "a" }] }),
  ).toBeUndefined();
  // JSON text can hold a number that parses to Infinity: the schema refuses it, so must this.
  const huge = JSON.parse('{"horizon":{"value":1e999,"unit":"day"},"customers":[{"id":"a"}]}');
  expect(forecastRequestFastPath(huge)).toBeUndefined();
});
