import { describe, expect, test } from "bun:test";
import { createSeededRandom } from "../random/seeded-random.ts";
import { selectRanks } from "./order-statistics.ts";

/** Samples shaped like spend draws: many exact zeros, ties, a long right tail. */
function sample(n: number, seed: number): Float64Array {
  const random = createSeededRandom(seed);
  return Float64Array.from({ length: n }, () => {
    const u = random();
    if (u < 0.3) return 0;
    if (u < 0.4) return 5;
    return -Math.log(random()) * 50;
  });
}

describe("selectRanks", () => {
  test("every requested rank holds what a sort puts there, on samples with ties", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const n = 1 + (seed % 7 === 0 ? seed % 20 : 500);
      const values = sample(n, seed);
      const sorted = values.slice().sort();
      const random = createSeededRandom(seed + 1000);
      const ranks = [...new Set(Array.from({ length: 6 }, () => Math.floor(random() * n)))].sort(
        (a, b) => a - b,
      );
      selectRanks(values, ranks);
      for (const r of ranks) expect(values[r]).toBe(sorted[r] as number);
      // Only rearranged: the same multiset.
      expect(values.slice().sort()).toEqual(sorted);
    }
  });

  test("all ranks of a sample is a sort; infinities order as in a sort", () => {
    const values = Float64Array.from([3, Infinity, -1, 0, 2, 2, -Infinity, 1e308, 7, 0.5, 9]);
    const sorted = values.slice().sort();
    for (let k = 0; k < 4; k++) {
      values.reverse();
      selectRanks(
        values,
        Array.from({ length: values.length }, (_, i) => i),
      );
      expect(values).toEqual(sorted);
    }
  });

  test("a sample holding NaN is sorted (NaN last), so ranks below it are still right", () => {
    const values = Float64Array.from([4, Number.NaN, 1, 3, 2]);
    selectRanks(values, [0, 3]);
    expect(Array.from(values.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(values[4]).toBeNaN();
  });
});
