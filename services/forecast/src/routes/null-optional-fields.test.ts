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
