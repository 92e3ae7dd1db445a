import { expect, test } from "bun:test";
import { mergedWarnings } from "./stacking.ts";

test("calibration warnings from several parts: counts of customers summed, repeats once", () => {
  const cannot = (model: string, n: number) =>
    `${model}: no interval for ${n} customer(s) whose summary its formulas cannot evaluate`;
  const redrawn = "Pareto/NBD: 3 of 16 parameter draws redrawn (unevaluable at x = 40)";
  expect(
    mergedWarnings([cannot("bgnbd", 2), redrawn, cannot("pareto_nbd", 1), cannot("bgnbd", 5)]),
  ).toEqual([cannot("bgnbd", 7), redrawn, cannot("pareto_nbd", 1)]);
  expect(mergedWarnings([redrawn, redrawn])).toEqual([redrawn]);
  expect(mergedWarnings([])).toEqual([]);
});
