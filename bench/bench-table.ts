// The markdown tables bench/all.ts prints: the current figures alone, or baseline beside current
// with ratio and verdict (the README's tables are pasted from these).
import { type ComparedFigure, improvement, type ScriptComparison } from "./compare-figures.ts";

export function formatValue(value: number, unit: string): string {
  const digits =
    unit === "count"
      ? 0
      : unit === "s"
        ? 2
        : unit === "ms"
          ? value < 10
            ? 2
            : 0
          : value < 100
            ? 1
            : 0;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A markdown table; columns in `right` are right-aligned (numbers). */
export function markdownTable(
  head: string[],
  rows: string[][],
  right: ReadonlySet<number>,
): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

/** A worse figure whose gap is within the rounds' own spread on either side (see ComparedFigure). */
export function withinSpread(f: ComparedFigure): boolean {
  if (f.verdict !== "worse" || f.spread === undefined) return false;
  const change = improvement(f.baseline as number, f.current as number, f.better ?? "higher");
  return Math.abs(change) <= f.spread;
}

export function verdictText(f: ComparedFigure): string {
  switch (f.verdict) {
    case "only-baseline":
      return "only in baseline";
    case "only-current":
      return "only in current";
    case "unjudged":
      return "– (no direction)";
  }
  const change = improvement(f.baseline as number, f.current as number, f.better ?? "higher");
  const pct = Number.isFinite(change) ? `${Math.abs(100 * change).toFixed(0)}%` : "∞";
  if (f.verdict === "worse") {
    // A gap smaller than what the same code moved between this run's rounds is not evidence.
    const noise = withinSpread(f) ? ` (rounds moved ${(100 * (f.spread ?? 0)).toFixed(0)}%)` : "";
    return `✗ ${pct} worse${noise}`;
  }
  return change > 0.05 ? `✓ ${pct} better` : "✓";
}

const SIDE_LABEL = { baseline: "baseline", current: "current" } as const;

/** One row per figure; failed runs and one-sided scripts get a row of their own. */
export function comparisonRows(comparisons: readonly ScriptComparison[]): string[][] {
  const rows: string[][] = [];
  for (const c of comparisons) {
    if (c.onlyIn)
      rows.push([c.bench, `(script only in ${SIDE_LABEL[c.onlyIn]})`, "", "", "", "", "", ""]);
    for (const f of c.figures) {
      const value = (v: number | undefined) => (v === undefined ? "" : formatValue(v, f.unit));
      rows.push([
        f.bench,
        f.figure,
        f.unit,
        f.better ?? "–",
        value(f.baseline),
        value(f.current),
        f.ratio === undefined ? "" : f.ratio.toFixed(3),
        verdictText(f),
      ]);
    }
    for (const x of c.failures)
      rows.push([
        x.bench,
        `FAILED on ${x.side}, round ${x.round} (exit ${x.exitCode}) after ${x.seconds.toFixed(0)} s`,
        "",
        "",
        "",
        "",
        "",
        "",
      ]);
  }
  return rows;
}

export function comparisonTable(comparisons: readonly ScriptComparison[]): string {
  return markdownTable(
    ["bench", "figure", "unit", "better", "baseline", "current", "ratio", "verdict"],
    comparisonRows(comparisons),
    new Set([4, 5, 6]),
  );
}
