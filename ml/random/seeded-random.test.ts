// The shared seeded PRNGs: reproducible for a seed, distinct across seeds, in range.

import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
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

test("mulberry32's draws are pinned for seeds in and beyond 32 bits, negative and fractional", () => {
  // GBDT row/feature samples, bags and folds are these draws: a faster generator must keep them.
  const hashes = [0, 1, 42, 2 ** 31 + 5, -7, 2 ** 32 + 3, 1.5].map((seed) => {
    const random = createSeededRandom(seed);
    const draws = Float64Array.from({ length: 100_000 }, () => random());
    return createHash("sha256").update(draws).digest("hex").slice(0, 12);
  });
  // 1.5 draws as 1 (the seed is taken modulo 2^32 as an integer).
  expect(hashes).toEqual([
    "77e81270dfeb",
    "f0d0131e81f3",
    "90b9772df516",
    "7edd23bff54e",
    "996f464690a1",
    "683cbf21973d",
    "f0d0131e81f3",
  ]);
});
