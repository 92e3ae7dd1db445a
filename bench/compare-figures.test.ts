import { describe, expect, test } from "bun:test";
import { type BenchFigure, defaultBetter } from "./bench-results.ts";
import { comparisonTable, verdictText, withinSpread } from "./bench-table.ts";
import {
  benchExitCode,
  type ComparedFigure,
  compareScript,
  judge,
  median,
  roundSpread,
  type ScriptRun,
} from "./compare-figures.ts";

const run = (figures: BenchFigure[], exitCode: number | null = 0): ScriptRun => ({
  figures,
  exitCode,
  seconds: 12,
});
const fig = (name: string, value: number, unit: string): BenchFigure => ({ name, value, unit });

describe("defaultBetter", () => {
  test("rates are better higher; times, sizes and counts lower; %, ratio and x have no direction", () => {
    for (const unit of ["req/s", "rows/s", "customers/s", "customers/CPU-s"])
      expect(defaultBetter(unit)).toBe("higher");
    for (const unit of ["s", "ms", "MiB", "KiB", "count"])
      expect(defaultBetter(unit)).toBe("lower");
    for (const unit of ["%", "ratio", "x", "furlongs"]) expect(defaultBetter(unit)).toBeUndefined();
  });
});

describe("judge", () => {
  test("higher is better: 5% less is still within, more than 5% less is worse", () => {
    expect(judge(100, 95, "higher")).toBe("ok");
    expect(judge(100, 94.9, "higher")).toBe("worse");
    expect(judge(100, 300, "higher")).toBe("ok");
    expect(judge(0.3, 0.285, "higher")).toBe("ok");
  });
  test("lower is better: 5% more is still within, more than 5% more is worse", () => {
    expect(judge(100, 105, "lower")).toBe("ok");
    expect(judge(100, 105.1, "lower")).toBe("worse");
    expect(judge(100, 1, "lower")).toBe("ok");
    expect(judge(1.07, 1.1235, "lower")).toBe("ok");
  });
  test("a baseline of 0 errors judges any error as worse", () => {
    expect(judge(0, 0, "lower")).toBe("ok");
    expect(judge(0, 1, "lower")).toBe("worse");
  });
  test("a figure without a direction is not judged", () => {
    expect(judge(1, 100, undefined)).toBe("unjudged");
  });
  test("the tolerance can be changed", () => {
    expect(judge(100, 109, "lower", 0.1)).toBe("ok");
    expect(judge(100, 111, "lower", 0.1)).toBe("worse");
  });
});

test("median of odd and even counts", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([7])).toBe(7);
});

describe("compareScript", () => {
  test("takes each side's median over rounds, the ratio and the verdict per figure", () => {
    const c = compareScript({
      bench: "fit",
      baseline: [
        run([fig("fit", 1.0, "s"), fig("rate", 100, "req/s")]),
        run([fig("fit", 1.2, "s"), fig("rate", 120, "req/s")]),
      ],
      current: [
        run([fig("fit", 1.3, "s"), fig("rate", 130, "req/s")]),
        run([fig("fit", 1.3, "s"), fig("rate", 150, "req/s")]),
      ],
    });
    expect(c.onlyIn).toBeUndefined();
    expect(c.failures).toEqual([]);
    const [fit, rate] = c.figures;
    expect(fit).toMatchObject({
      figure: "fit",
      baseline: 1.1,
      current: 1.3,
      better: "lower",
      verdict: "worse",
    });
    expect(fit?.ratio).toBeCloseTo(1.3 / 1.1, 10);
    // The baseline's rounds moved 20% (1.0 → 1.2), more than the 18% gap: flagged, still ✗.
    expect(fit?.spread).toBeCloseTo(0.2, 10);
    expect(verdictText(fit as ComparedFigure)).toBe("✗ 18% worse (rounds moved 20%)");
    expect(rate).toMatchObject({ baseline: 110, current: 140, better: "higher", verdict: "ok" });
  });

  test("--aggregate best: each side's highest rate and lowest time; undirected figures keep the median", () => {
    const sides = {
      bench: "forecast",
      baseline: [
        run([fig("time", 1.0, "s"), fig("rate", 100, "req/s"), fig("share", 10, "%")]),
        run([fig("time", 1.4, "s"), fig("rate", 140, "req/s"), fig("share", 20, "%")]),
        run([fig("time", 1.2, "s"), fig("rate", 120, "req/s"), fig("share", 60, "%")]),
      ],
      current: [
        run([fig("time", 1.5, "s"), fig("rate", 90, "req/s"), fig("share", 30, "%")]),
        run([fig("time", 1.04, "s"), fig("rate", 135, "req/s"), fig("share", 40, "%")]),
        run([fig("time", 1.6, "s"), fig("rate", 80, "req/s"), fig("share", 50, "%")]),
      ],
    };
    const [time, rate, share] = compareScript(sides, 0.05, "best").figures;
    expect(time).toMatchObject({ baseline: 1.0, current: 1.04, verdict: "ok" });
    expect(rate).toMatchObject({ baseline: 140, current: 135, verdict: "ok" });
    expect(share).toMatchObject({ baseline: 20, current: 40, verdict: "unjudged" });
    // The same rounds by their medians: both directed figures are worse by more than 5%.
    const byMedian = compareScript(sides).figures;
    expect(byMedian.map((f) => f.verdict)).toEqual(["worse", "worse", "unjudged"]);
  });

  test("figures on one side only are listed with that side; a failed run is listed", () => {
    const c = compareScript({
      bench: "soak",
      baseline: [run([fig("old name", 5, "ms")])],
      current: [run([fig("new name", 4, "ms")], 1)],
    });
    expect(c.figures.map((f) => [f.figure, f.verdict])).toEqual([
      ["old name", "only-baseline"],
      ["new name", "only-current"],
    ]);
    expect(c.failures).toEqual([
      { bench: "soak", side: "current", round: 1, exitCode: 1, seconds: 12 },
    ]);
  });

  test("a script missing on one side is marked so", () => {
    const c = compareScript({ bench: "new", baseline: null, current: [run([fig("a", 1, "s")])] });
    expect(c.onlyIn).toBe("current");
    expect(c.figures[0]?.verdict).toBe("only-current");
  });

  test("the current script's direction applies to a baseline figure that carries none", () => {
    const c = compareScript({
      bench: "decision",
      baseline: [run([fig("after/before", 0.7, "ratio")])],
      current: [run([{ ...fig("after/before", 0.6, "ratio"), better: "higher" }])],
    });
    expect(c.figures[0]).toMatchObject({ better: "higher", verdict: "worse" });
  });

  test("a name repeated within one run stays two figures", () => {
    const c = compareScript({
      bench: "x",
      baseline: [run([fig("p99", 1, "ms"), fig("p99", 10, "ms")])],
      current: [run([fig("p99", 1, "ms"), fig("p99", 20, "ms")])],
    });
    expect(c.figures.map((f) => [f.figure, f.verdict])).toEqual([
      ["p99", "ok"],
      ["p99 (2)", "worse"],
    ]);
  });
});

describe("comparison table", () => {
  const comparisons = [
    compareScript({
      bench: "fit",
      baseline: [
        run([fig("BG/NBD fit", 1.0, "s"), fig("rate", 100, "req/s"), fig("cover", 95, "%")]),
      ],
      current: [
        run([fig("BG/NBD fit", 1.1, "s"), fig("rate", 120, "req/s"), fig("cover", 90, "%")]),
      ],
    }),
    compareScript({ bench: "new", baseline: null, current: [run([], 3)] }),
  ];

  test("verdicts say by how much a figure is worse or better", () => {
    expect(comparisons[0]?.figures.map(verdictText)).toEqual([
      "✗ 10% worse",
      "✓ 20% better",
      "– (no direction)",
    ]);
  });

  test("one row per figure, plus rows for one-sided scripts and failed runs", () => {
    const lines = comparisonTable(comparisons).split("\n");
    expect(lines[0]).toMatch(
      /^\| bench +\| figure +\| unit +\| better +\| baseline \| current \| +ratio \| verdict +\|$/,
    );
    expect(lines[2]).toMatch(
      /^\| fit +\| BG\/NBD fit +\| s +\| lower +\| +1\.00 \| +1\.10 \| 1\.100 \| ✗ 10% worse +\|$/,
    );
    expect(lines[3]).toContain("| higher |");
    expect(lines[5]).toMatch(/^\| new +\| \(script only in current\)/);
    expect(lines[6]).toMatch(/^\| new +\| FAILED on current, round 1 \(exit 3\) after 12 s/);
    expect(lines).toHaveLength(7);
  });
});

test("exit code: 1 on a failed run, 2 on a worse figure only with --strict, else 0", () => {
  const worse = compareScript({
    bench: "a",
    baseline: [run([fig("t", 1, "s")])],
    current: [run([fig("t", 2, "s")])],
  });
  const fine = compareScript({
    bench: "b",
    baseline: [run([fig("t", 2, "s")])],
    current: [run([fig("t", 1, "s")])],
  });
  const failed = compareScript({ bench: "c", baseline: null, current: [run([], 1)] });
  expect(benchExitCode([fine], true)).toBe(0);
  expect(benchExitCode([fine, worse], false)).toBe(0);
  expect(benchExitCode([fine, worse], true)).toBe(2);
  expect(benchExitCode([worse, failed], true)).toBe(1);
});

test("a worse figure is flagged only when its gap is within the rounds' spread", () => {
  const figure = (current: number[]) =>
    compareScript({
      bench: "b",
      baseline: [run([fig("t", 1.0, "s")]), run([fig("t", 1.05, "s")])],
      current: current.map((v) => run([fig("t", v, "s")])),
    }).figures[0] as ComparedFigure;
  // Medians 1.025 vs 1.2 (17% worse); spreads 5% and 0%: not within.
  expect(verdictText(figure([1.2, 1.2]))).toBe("✗ 17% worse");
  expect(withinSpread(figure([1.2, 1.2]))).toBe(false);
  // Current rounds 1.0 and 1.2: medians 1.025 vs 1.1 (7% worse), spread 20%: within.
  expect(verdictText(figure([1.0, 1.2]))).toBe("✗ 7% worse (rounds moved 20%)");
  // One round per side: no spread, nothing flagged.
  const single = compareScript({
    bench: "b",
    baseline: [run([fig("t", 1.0, "s")])],
    current: [run([fig("t", 1.2, "s")])],
  }).figures[0] as ComparedFigure;
  expect(single.spread).toBeUndefined();
  expect(verdictText(single)).toBe("✗ 20% worse");
  expect(roundSpread([2, 3, 2.5])).toBeCloseTo(0.5, 12);
  expect(roundSpread([0, 1])).toBeUndefined();
});
