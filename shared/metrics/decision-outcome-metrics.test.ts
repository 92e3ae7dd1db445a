// The decision mix's action label is bounded: callers name their own actions, and a series per
// id never expires (50,000 ids grew the service by 174 MB and each scrape to 7.9 MB).
import { expect, test } from "bun:test";
import { decisionOutcomeMetrics, MAX_ACTION_SERIES } from "./decision-outcome-metrics.ts";
import { MetricsRegistry } from "./registry.ts";

const series = (text: string, name: string) =>
  text.split("\n").filter((l) => l.startsWith(`${name}{`));

test('past MAX_ACTION_SERIES action ids, later ones count under action="other"; none stays itself', () => {
  const registry = new MetricsRegistry();
  const single = decisionOutcomeMetrics(registry);
  const batch = decisionOutcomeMetrics(registry); // /decision/batch shares the bound
  for (let i = 0; i < 5000; i++) {
    single.single({ chosen: `offer-${i}`, ranked: [{ id: `offer-${i}`, expected_profit: 1 }] });
  }
  batch.batch({ considered: 3, selected: [{ action: "late-offer", expected_profit: 2 }] }, 3);
  single.single({ chosen: "none", ranked: [] });
  const text = registry.expose();
  const decisions = series(text, "decisions_total");
  // MAX_ACTION_SERIES ids of their own, plus other and none (and none's fallbacks), per kind.
  expect(decisions.length).toBeLessThanOrEqual(MAX_ACTION_SERIES + 6);
  expect(series(text, "decision_expected_profit_total").length).toBeLessThanOrEqual(
    MAX_ACTION_SERIES + 4,
  );
  expect(text).toContain('decisions_total{kind="single",action="offer-0",fallback="false"} 1');
  expect(text).toContain(
    `decisions_total{kind="single",action="other",fallback="false"} ${5000 - MAX_ACTION_SERIES}`,
  );
  expect(text).toContain('decisions_total{kind="batch",action="other",fallback="false"} 1');
  expect(text).toContain('decisions_total{kind="batch",action="none",fallback="false"} 2');
  expect(text).toContain('decisions_total{kind="single",action="none",fallback="false"} 1');
  // Nothing is lost: the counts add up to the decisions made.
  const total = decisions.reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  expect(total).toBe(5000 + 3 + 1);
});

// A first burst of fallbacks shorter than a scrape interval appeared already counted, so
// increase() over it read 0: the fallback series are present at 0 from the start.
test("fallback decisions are present at 0 before the first", () => {
  const registry = new MetricsRegistry();
  decisionOutcomeMetrics(registry);
  const text = registry.expose();
  expect(text).toContain('decisions_total{kind="single",action="none",fallback="true"} 0');
  expect(text).toContain('decisions_total{kind="batch",action="none",fallback="true"} 0');
});
