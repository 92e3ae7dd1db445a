// A required field left out was answered in zod's words: POST /forecast without "horizon" gave
// "horizon: Invalid input: expected object, received undefined".
import { expect, test } from "bun:test";
import * as z from "zod";
import { validationError } from "./validation.ts";

test("a required field left out is called required, with the type expected", () => {
  const schema = z.object({
    horizon: z.object({ value: z.number(), unit: z.string() }),
    customers: z.array(z.object({ id: z.string() })),
  });
  const result = schema.safeParse({ customers: [{}] });
  expect(result.success).toBe(false);
  const error = validationError(result.error?.issues ?? []);
  expect(error.message).toBe(
    "Invalid body: horizon: required (expected object); customers.0.id: required (expected string)",
  );
  // Other type errors keep their words.
  const wrong = schema.safeParse({ horizon: 5, customers: [] });
  expect(validationError(wrong.error?.issues ?? []).message).toBe(
    "Invalid body: horizon: Invalid input: expected object, received number",
  );
});
