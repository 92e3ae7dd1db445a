// The shared batch loops: values by index, the failing customer's index in the error.
import { expect, test } from "bun:test";
import { mapCustomers, mapRfmCustomers } from "./customer-batch.ts";
import { ModelInputError } from "./types.ts";

test("mapCustomers fills by index, into `out` when given", () => {
  expect(Array.from(mapCustomers(4, (i) => i * i))).toEqual([0, 1, 4, 9]);
  const out = new Float64Array(3);
  expect(mapCustomers(3, (i) => -i, out)).toBe(out);
  expect(Array.from(out)).toEqual([-0, -1, -2]);
});

test("a ModelInputError gains the customer's index; other errors pass unchanged", () => {
  const bad = () =>
    mapCustomers(5, (i) => {
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
    mapCustomers(2, () => {
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
