// The shared seeded PRNGs: reproducible for a seed, distinct across seeds, in range.
import { expect, test } from "bun:test";
import { createSeededRandom, seededPermutation, Xoshiro128 } from "./seeded-random.ts";

test("the same seed gives the same draws; another seed gives others", () => {
  const a = createSeededRandom(42);
  const b = createSeededRandom(42);
  const c = createSeededRandom(43);
  const xa = new Xoshiro128(42);
  const xb = new Xoshiro128(42);
  const xc = new Xoshiro128(2 ** 32 + 42); // seeds beyond 32 bits still differ
  let sameAsOther = 0;
  let xSameAsOther = 0;
  for (let i = 0; i < 1000; i++) {
    const u = a();
    expect(u).toBe(b());
    expect(u >= 0 && u < 1).toBe(true);
    if (u === c()) sameAsOther++;
    const v = xa.uniform();
    expect(v).toBe(xb.uniform());
    expect(v > 0 && v < 1).toBe(true);
    if (v === xc.uniform()) xSameAsOther++;
  }
  expect(sameAsOther).toBeLessThan(5);
  expect(xSameAsOther).toBeLessThan(5);
});

test("uniform draws have mean about 1/2", () => {
  const random = createSeededRandom(7);
  const rng = new Xoshiro128(7);
  let s = 0;
  let sx = 0;
  const n = 100_000;
  for (let i = 0; i < n; i++) {
    s += random();
    sx += rng.uniform();
  }
  // sd of the mean is 1/sqrt(12 n) ≈ 0.0009
  expect(Math.abs(s / n - 0.5)).toBeLessThan(0.005);
  expect(Math.abs(sx / n - 0.5)).toBeLessThan(0.005);
});

test("seededPermutation is a permutation of 0..n-1 and depends on the seed", () => {
  const n = 1000;
  const p = seededPermutation(n, createSeededRandom(1));
  expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
  expect(Array.from(seededPermutation(n, createSeededRandom(1)))).toEqual(Array.from(p));
  expect(Array.from(seededPermutation(n, createSeededRandom(2)))).not.toEqual(Array.from(p));
  expect(seededPermutation(0, createSeededRandom(1)).length).toBe(0);
});
