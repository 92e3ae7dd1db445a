import { expect, test } from "bun:test";
import fc from "fast-check";
import { groupSummaries } from "./group-summaries.ts";

test("identical (x, t_x, T) rows collapse into one row whose weight counts them", () => {
  const x = Float64Array.from([0, 2, 0, 2, 2, 1]);
  const tx = Float64Array.from([0, 3.5, 0, 3.5, 3.5, 3.5]);
  const T = Float64Array.from([10, 10, 10, 10, 11, 10]);
  const g = groupSummaries(x, tx, T);
  expect(g.n).toBe(4);
  expect(Array.from(g.x)).toEqual([0, 2, 2, 1]);
  expect(Array.from(g.T)).toEqual([10, 10, 11, 10]);
  expect(Array.from(g.weight)).toEqual([2, 2, 1, 1]);
  expect(Array.from(g.rowOfCustomer)).toEqual([0, 1, 0, 1, 2, 3]);
});

test("-0 and 0 are the same value; input weights are summed", () => {
  const g = groupSummaries(
    Float64Array.from([0, -0]),
    Float64Array.from([-0, 0]),
    Float64Array.from([1, 1]),
    Float64Array.from([0.5, 2]),
  );
  expect(g.n).toBe(1);
  expect(g.weight[0]).toBe(2.5);
});

test("property: every customer maps to a row equal to it, weights sum to n, rows are distinct", () => {
  const small = fc.integer({ min: 0, max: 4 }).map((v) => v / 2);
  fc.assert(
    fc.property(fc.array(fc.tuple(small, small, small), { maxLength: 300 }), (triples) => {
      const x = Float64Array.from(triples.map((t) => t[0]));
      const tx = Float64Array.from(triples.map((t) => t[1]));
      const T = Float64Array.from(triples.map((t) => t[2]));
      const g = groupSummaries(x, tx, T);
      let total = 0;
      for (let r = 0; r < g.n; r++) total += g.weight[r]!;
      expect(total).toBe(triples.length);
      for (let i = 0; i < triples.length; i++) {
        const r = g.rowOfCustomer[i]!;
        expect([g.x[r], g.tx[r], g.T[r]]).toEqual([x[i], tx[i], T[i]]);
      }
      const keys = new Set<string>();
      for (let r = 0; r < g.n; r++) keys.add(`${g.x[r]}|${g.tx[r]}|${g.T[r]}`);
      expect(keys.size).toBe(g.n);
    }),
  );
});
