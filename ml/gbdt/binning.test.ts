import { expect, test } from "bun:test";
import { createSeededRandom } from "../random/seeded-random.ts";
import { binFeatures, computeFeatureBins } from "./binning.ts";

test("edges are float32 and the bin of every value is the first edge with x <= edge", () => {
  const random = createSeededRandom(3);
  const n = 5000;
  const p = 3;
  const X = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    X[i * p] = random() * 100 - 50;
    X[i * p + 1] = Math.floor(random() * 5);
    X[i * p + 2] = i % 97 === 0 ? Number.NaN : Math.exp(random() * 10);
  }
  const bins = computeFeatureBins(X, n, p, 64);
  const binned = binFeatures(X, n, bins);
  for (let f = 0; f < p; f++) {
    const e = bins.edges[f]!;
    expect(bins.binCounts[f]).toBeLessThanOrEqual(64);
    for (let b = 0; b < e.length; b++) {
      expect(Math.fround(e[b]!)).toBe(e[b]!);
      if (b > 0) expect(e[b]).toBeGreaterThan(e[b - 1]!);
    }
    for (let i = 0; i < n; i++) {
      const x = X[i * p + f]!;
      const b = binned[i * p + f]!;
      if (Number.isNaN(x)) {
        expect(b).toBe(e.length);
        continue;
      }
      // The split "bin <= b" must equal the float32 comparison "x <= edges[b]" for every b.
      if (b < e.length) expect(x <= e[b]!).toBe(true);
      if (b > 0) expect(x > e[b - 1]!).toBe(true);
    }
  }
  // Few distinct values: one bin per value.
  expect(bins.binCounts[1]).toBe(5);
});

test("quantile bins spread rows roughly evenly and heavy ties stay in one bin", () => {
  const n = 10_000;
  const X = new Float32Array(n);
  for (let i = 0; i < n; i++) X[i] = i < 6000 ? 0 : i;
  const bins = computeFeatureBins(X, n, 1, 32);
  const binned = binFeatures(X, n, bins);
  const counts = new Array(bins.binCounts[0]).fill(0);
  for (let i = 0; i < n; i++) counts[binned[i]!]++;
  expect(counts[0]).toBe(6000);
  expect(bins.binCounts[0]).toBeGreaterThan(10);
  expect(Math.max(...counts.slice(1))).toBeLessThan(1000);
});

test("maxBins outside [2, 255] is refused", () => {
  expect(() => computeFeatureBins(new Float32Array(4), 4, 1, 256)).toThrow(/maxBins/);
  expect(() => computeFeatureBins(new Float32Array(4), 4, 1, 1)).toThrow(/maxBins/);
});

test("binFeatures counts the edges below x at every bin count, on edges and at ±Infinity", () => {
  const random = createSeededRandom(5);
  for (const maxBins of [2, 3, 16, 17, 255]) {
    const n = 3000;
    const X = Float32Array.from({ length: n }, () => random() * 10 - 5);
    const bins = computeFeatureBins(X, n, 1, maxBins);
    const e = bins.edges[0]!;
    // Values exactly on each edge, beside it, and the extremes.
    const probe = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NaN, -0, 0];
    for (const edge of e)
      probe.push(edge, Math.fround(edge * (1 + 1e-7)), Math.fround(edge - 1e-6));
    const P = Float32Array.from(probe);
    const binned = binFeatures(P, P.length, bins);
    for (let i = 0; i < P.length; i++) {
      const x = P[i]!;
      const below = Number.isNaN(x) ? e.length : e.filter((edge) => edge < x).length;
      expect(binned[i]).toBe(below);
    }
  }
});
