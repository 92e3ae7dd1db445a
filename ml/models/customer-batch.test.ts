// The shared batch loop: values per customer, the failing customer's index in the error.
import { expect, test } from "bun:test";
import { mapRfmCustomers } from "./customer-batch.ts";
import { ModelInputError } from "./types.ts";

test("a ModelInputError gains the customer's index; other errors pass unchanged", () => {
  const x = Float64Array.from([0, 1, 2, 3, 4]);
  const bad = () =>
    mapRfmCustomers(x, x, x, (i) => {
      if (i === 3) throw new ModelInputError("x", "expected a finite number >= 0, got -1");
      return i;
    });
  expect(bad).toThrow("x[3]: expected a finite number >= 0, got -1");
  try {
    bad();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelInputError);
    expect((e as ModelInputError).index).toBe(3);
    expect((e as ModelInputError).field).toBe("x");
  }
  const other = new TypeError("boom");
  expect(() =>
    mapRfmCustomers(x, x, x, () => {
      throw other;
    }),
  ).toThrow(other);
});

test("mapRfmCustomers passes (x, tx, T) per customer and refuses columns of different lengths", () => {
  const x = Float64Array.from([0, 2, 5]);
  const tx = Float64Array.from([0, 10, 20]);
  const T = Float64Array.from([30, 31, 32]);
  expect(Array.from(mapRfmCustomers(x, tx, T, (a, b, c) => a + 10 * b + 100 * c))).toEqual([
    3000, 3202, 3405,
  ]);
  expect(() => mapRfmCustomers(x, tx.subarray(0, 2), T, () => 0)).toThrow(
    "data: x, tx and T lengths differ",
  );
  expect(() =>
    mapRfmCustomers(x, tx, T, (a) => {
      if (a === 5) throw new ModelInputError("tx", "bad");
      return a;
    }),
  ).toThrow("tx[2]: bad");
});
