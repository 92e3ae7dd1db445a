// Side-by-side comparison of one bench script's figures from a baseline commit and from the current
// code (bench/all.ts --baseline): per figure the median (or the best) over rounds on each side, their
// ratio, and whether the current value is within the tolerance of the baseline or better.
import { type BenchFigure, type Better, betterOf } from "./bench-results.ts";

/** One process run of a bench script. */
export interface ScriptRun {
  figures: BenchFigure[];
  exitCode: number | null;
  seconds: number;
}

/** A script's runs on each side, in round order; null when the script does not exist on that side. */
export interface ScriptSides {
  bench: string;
  baseline: ScriptRun[] | null;
  current: ScriptRun[] | null;
}

export type Verdict = "ok" | "worse" | "unjudged" | "only-baseline" | "only-current";

export interface ComparedFigure {
  bench: string;
  figure: string;
  unit: string;
  better: Better | undefined;
  baseline: number | undefined;
  current: number | undefined;
  /** current / baseline; undefined when either is missing or the baseline is 0. */
  ratio: number | undefined;
  /**
   * The wider of the two sides' round-to-round spreads, (max − min) / min over a side's rounds:
   * how far the same code moved between rounds of this run. Undefined with one round per side.
   */
  spread: number | undefined;
  verdict: Verdict;
}

export interface RunFailure {
  bench: string;
  side: "baseline" | "current";
  /** 1-based. */
  round: number;
  exitCode: number | null;
  seconds: number;
}

export interface ScriptComparison {
  bench: string;
  figures: ComparedFigure[];
  failures: RunFailure[];
  /** Set when the script exists on one side only. */
  onlyIn: "baseline" | "current" | undefined;
  /** Set when --confirm ran more rounds: how many figures were ✗ first, and the rounds in all. */
  confirmed?: { worseBefore: number; rounds: number };
}

export const TOLERANCE = 0.05;

/**
 * How a side's rounds become one value: their median, or their best (the highest rate, the lowest
 * time), for a machine where other work only ever slows a run down, so the best round is the one
 * least disturbed. Figures without a direction always take the median.
 */
export type Aggregate = "median" | "best";

export function aggregateOf(values: readonly number[], better: Better | undefined, how: Aggregate) {
  if (how === "median" || !better) return median(values);
  return better === "higher" ? Math.max(...values) : Math.min(...values);
}

/** (max − min) / min of a side's rounds; undefined for fewer than 2 rounds or a minimum ≤ 0. */
export function roundSpread(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  const low = Math.min(...values);
  return low > 0 ? (Math.max(...values) - low) / low : undefined;
}

/** Middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * "ok" when `current` is better than `baseline` or worse by at most `tolerance` of it, in the
 * figure's direction; "unjudged" when the figure has no direction. Written without a ratio so a
 * baseline of 0 (no errors) still judges: any error afterwards is worse.
 */
export function judge(
  baseline: number,
  current: number,
  better: Better | undefined,
  tolerance = TOLERANCE,
): "ok" | "worse" | "unjudged" {
  if (!better) return "unjudged";
  // The small slack keeps an exact 5% from failing on floating-point rounding.
  const slack = 1e-9 * Math.abs(baseline);
  if (better === "higher") return current >= baseline * (1 - tolerance) - slack ? "ok" : "worse";
  return current <= baseline * (1 + tolerance) + slack ? "ok" : "worse";
}

/** By how much `current` is better (positive) or worse (negative) than `baseline`, as a fraction. */
export function improvement(baseline: number, current: number, better: Better): number {
  if (baseline === 0) return current === 0 ? 0 : better === "higher" ? Infinity : -Infinity;
  const change = (current - baseline) / Math.abs(baseline);
  return better === "higher" ? change : -change;
}

interface Collected {
  unit: string;
  better: Better | undefined;
  values: number[];
}

/**
 * Figures by name, in first-seen order, with their values over the runs. A name repeated within
 * one run gets a " (2)", " (3)" suffix so two figures never merge into one median.
 */
function collect(runs: readonly ScriptRun[]): Map<string, Collected> {
  const byName = new Map<string, Collected>();
  for (const run of runs) {
    const seen = new Map<string, number>();
    for (const f of run.figures) {
      const n = (seen.get(f.name) ?? 0) + 1;
      seen.set(f.name, n);
      const key = n === 1 ? f.name : `${f.name} (${n})`;
      const entry = byName.get(key) ?? { unit: f.unit, better: betterOf(f), values: [] };
      entry.values.push(f.value);
      byName.set(key, entry);
    }
  }
  return byName;
}

function failures(bench: string, side: RunFailure["side"], runs: readonly ScriptRun[] | null) {
  return (runs ?? []).flatMap((run, i) =>
    run.exitCode === 0
      ? []
      : [{ bench, side, round: i + 1, exitCode: run.exitCode, seconds: run.seconds }],
  );
}

/** Pairs the two sides' figures by name; figures on one side only are listed with that side. */
export function compareScript(
  sides: ScriptSides,
  tolerance = TOLERANCE,
  aggregate: Aggregate = "median",
): ScriptComparison {
  const before = collect(sides.baseline ?? []);
  const after = collect(sides.current ?? []);
  const figures: ComparedFigure[] = [];
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(name);
    const a = after.get(name);
    // The current script's direction wins: a baseline's figures may predate `better`.
    const better = a?.better ?? b?.better;
    const baseline = b ? aggregateOf(b.values, better, aggregate) : undefined;
    const current = a ? aggregateOf(a.values, better, aggregate) : undefined;
    const verdict =
      baseline === undefined
        ? "only-current"
        : current === undefined
          ? "only-baseline"
          : judge(baseline, current, better, tolerance);
    const ratio =
      baseline !== undefined && current !== undefined && baseline !== 0
        ? current / baseline
        : undefined;
    const unit = a?.unit ?? b?.unit ?? "";
    const spreads = [b, a].map((side) => (side ? roundSpread(side.values) : undefined));
    const known = spreads.filter((x): x is number => x !== undefined);
    figures.push({
      bench: sides.bench,
      figure: name,
      unit,
      better,
      baseline,
      current,
      ratio,
      spread: known.length > 0 ? Math.max(...known) : undefined,
      verdict,
    });
  }
  return {
    bench: sides.bench,
    figures,
    failures: [
      ...failures(sides.bench, "baseline", sides.baseline),
      ...failures(sides.bench, "current", sides.current),
    ],
    onlyIn: sides.baseline === null ? "current" : sides.current === null ? "baseline" : undefined,
  };
}

/** bench/all.ts's exit code: 1 when a run failed; else with `strict` 2 when a figure is worse. */
export function benchExitCode(comparisons: readonly ScriptComparison[], strict: boolean): number {
  if (comparisons.some((c) => c.failures.length > 0)) return 1;
  const worse = comparisons.some((c) => c.figures.some((f) => f.verdict === "worse"));
  return strict && worse ? 2 : 0;
}
