// Training's holdout calibration of the GBDT and the blend scores the distributions they are
// served with: a hurdle on their own P(purchase), not the NB around their mean alone.
import { expect, test } from "bun:test";
import { kFoldSplit } from "../evaluation/k-fold.ts";
import { parameterCovariances } from "../forecasting/parameter-uncertainty.ts";
import {
  type BgNbdParams,
  bgnbdExpectedPurchases,
  bgnbdProbabilityOfPurchase,
  fitBgNbd,
} from "../models/bgnbd.ts";
import { fitGammaGamma } from "../models/gamma-gamma.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { stackAndCalibrate } from "./stacking.ts";

const TRUTH: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

/** A population whose "GBDT" knows the truth: BG/NBD's own mean and P(purchase) per customer. */
function perfectGbdtInput() {
  const e = simulateBgNbd(TRUTH, {
    customers: 6_000,
    start: "1997-01-01",
    timeUnit: "week",
    seed: 31,
  }).exact;
  const bgnbd = fitBgNbd(e).params;
  const paretoNbd = fitParetoNbd(e).params;
  const gammaGamma = fitGammaGamma({ x: e.x, monetary: e.monetary }).params;
  const t = e.holdoutLength;
  const mean = Float64Array.from(e.x, (x, i) =>
    bgnbdExpectedPurchases(TRUTH, t, x, e.tx[i]!, e.T[i]!),
  );
  const purchase = Float64Array.from(e.x, (x, i) =>
    bgnbdProbabilityOfPurchase(TRUTH, t, x, e.tx[i]!, e.T[i]!),
  );
  const expected = (p: BgNbdParams) =>
    Float64Array.from(e.x, (x, i) => bgnbdExpectedPurchases(p, t, x, e.tx[i]!, e.T[i]!));
  return {
    input: {
      summaries: e,
      params: { bgnbd, paretoNbd, gammaGamma },
      covariances: parameterCovariances(e, { bgnbd, paretoNbd, gammaGamma }),
      seed: 5,
      forecasts: { bgnbd: expected(bgnbd), pareto_nbd: expected(bgnbd), gbdt: mean },
      folds: kFoldSplit(e.n, 3, 5),
    },
    purchase,
  };
}

/** Whether a PIT histogram is flat within ±3 points per decile (as intervals.test.ts asks). */
const flat = (pit: number[]) => pit.every((share) => Math.abs(share - 0.1) < 0.03);

test("the GBDT's calibration scores the hurdle on its P(purchase): a wrong P(purchase) is caught", async () => {
  const { input, purchase } = perfectGbdtInput();
  const served = await stackAndCalibrate({ ...input, gbdtPurchase: purchase });
  // Served with half its true P(purchase): too many zeros, the rest too large.
  const halved = Float64Array.from(purchase, (p) => p / 2);
  const wrong = await stackAndCalibrate({ ...input, gbdtPurchase: halved });
  const meanOnly = await stackAndCalibrate(input);
  const line = (c: NonNullable<typeof served.calibration.gbdt>) =>
    `${c.levels.map((l) => l.coverage.toFixed(3)).join("/")}, PIT ${c.pit_histogram.map((v) => v.toFixed(3)).join(" ")}`;
  for (const [name, r] of [
    ["true p", served],
    ["p / 2", wrong],
    ["no p (NB)", meanOnly],
  ] as const)
    console.log(`GBDT calibration, ${name}: ${line(r.calibration.gbdt!)}`);
  expect(flat(served.calibration.gbdt!.pit_histogram)).toBe(true);
  expect(flat(wrong.calibration.gbdt!.pit_histogram)).toBe(false);
  const at80 = (r: typeof served) => r.calibration.gbdt!.levels.find((l) => l.level === 0.8)!;
  expect(Math.abs(at80(served).coverage - 0.8)).toBeLessThan(0.03);
  // The blend is scored on its own P(purchase) (1 − its NB's P(0), at most its mean), as served.
  expect(served.calibration.blend).toBeDefined();
  // The BTYD models' calibration does not depend on it.
  expect(wrong.calibration.bgnbd).toEqual(meanOnly.calibration.bgnbd);
}, 120_000);

test("the blend's P(purchase) is scored out of fold: members' mixed, as served", async () => {
  const { input, purchase } = perfectGbdtInput();
  const e = input.summaries;
  const bgPurchase = Float64Array.from(e.x, (x, i) =>
    bgnbdProbabilityOfPurchase(input.params.bgnbd, e.holdoutLength, x, e.tx[i]!, e.T[i]!),
  );
  const r = await stackAndCalibrate({
    ...input,
    gbdtPurchase: purchase,
    btydPurchase: { bgnbd: bgPurchase, pareto_nbd: bgPurchase },
  });
  const h = r.blendHoldout;
  // Before, metrics.json had no AUC or log loss for the blend: its P(purchase) was never scored.
  expect(h.log_loss).toBeDefined();
  expect(h.auc).toBeDefined();
  const ll = (p: Float64Array) => {
    let s = 0;
    e.holdoutPurchases.forEach((y, i) => {
      const q = Math.min(Math.max(p[i]!, 1e-15), 1 - 1e-15);
      s -= y > 0 ? Math.log(q) : Math.log(1 - q);
    });
    return s / e.n;
  };
  // Members that know the truth: the blend's log loss is theirs, within the weights' mixing.
  expect(Math.abs((h.log_loss ?? Number.NaN) - ll(purchase))).toBeLessThan(0.005);
  console.log(`blend log loss ${h.log_loss?.toFixed(4)}, truth's ${ll(purchase).toFixed(4)}`);
  expect(flat(r.calibration.blend!.pit_histogram)).toBe(true);
});
