// /forecast's optional `as_of` sent as null is answered with what to send instead (a date, or
// leave the field out), not zod's "Invalid input: expected string, received null". At the schema:
// the route answers its issues as they are (shared/errors/validation.ts).
import { expect, test } from "bun:test";
import { validationError } from "@pp/shared/errors/validation.ts";
import { forecastRequestSchema } from "./forecast-schemas.ts";

const request = {
  horizon: { value: 13, unit: "week" },
  customers: [{ id: "t", transactions: [{ at: "2026-01-05", amount: 12.5 }] }],
};

function details(body: unknown) {
  const result = forecastRequestSchema.safeParse(body);
  if (result.success) throw new Error("expected the request to be refused");
  return validationError(result.error.issues).details as Array<{ path: string; message: string }>;
}

test('"as_of": null says to send a date or leave the field out', () => {
  expect(details({ ...request, as_of: null })).toEqual([
    {
      path: "as_of",
      message: "must be a date string YYYY-MM-DD, or leave the field out (null is not accepted)",
    },
  ]);
});

test("an as_of of another type says what it must be", () => {
  expect(details({ ...request, as_of: 20260105 })).toEqual([
    { path: "as_of", message: "must be a date string YYYY-MM-DD" },
  ]);
});

// The other optional fields of /forecast: each null names what to send or to leave it out.
test("every optional field of /forecast sent as null says what to send instead", () => {
  const leaveOut = "or leave the field out (null is not accepted)";
  expect(details({ ...request, discount_rate: null })).toEqual([
    { path: "discount_rate", message: `must be a number from 0 to 10, ${leaveOut}` },
  ]);
  expect(details({ ...request, distribution: null })).toEqual([
    { path: "distribution", message: `must be true or false, ${leaveOut}` },
  ]);
  expect(details({ ...request, intervals: null })).toEqual([
    { path: "intervals", message: `must be an array of levels such as [0.8, 0.95], ${leaveOut}` },
  ]);
  const summary = { frequency: 2, recency: 3, T: 5, monetary: null };
  expect(details({ ...request, customers: [{ id: "s", summary }] })).toEqual([
    {
      path: "customers.0.summary.monetary",
      message: `must be a finite number (currency), ${leaveOut}`,
    },
  ]);
  const transactions = [{ at: "2026-01-05", amount: 1, quantity: null }];
  expect(details({ ...request, customers: [{ id: "q", transactions }] })).toEqual([
    {
      path: "customers.0.transactions.0.quantity",
      message: `must be a finite number (units), ${leaveOut}`,
    },
  ]);
  // Required fields keep their message: leaving them out is no answer.
  expect(
    details({
      ...request,
      customers: [{ id: "r", summary: { ...summary, T: null, monetary: 1 } }],
    }),
  ).toEqual([
    { path: "customers.0.summary.T", message: "must be a finite number (model time units)" },
  ]);
});
