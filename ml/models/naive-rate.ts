// The naive rate forecast: a customer's calibration purchases per unit of observed time, scaled to
// the horizon, x · h / T (0 when T = 0). No model and no dropout: for a heavy, still-active buyer it
// is close to the truth where BG/NBD and the GBDT shrink towards the population, so the blend
// (ml/pipelines/blend.ts) stacks it as a fourth member and gives it the weight the out-of-fold
// deviance asks for. This is the one definition, used by training and by serving
// (ml/forecasting/blend-columns.ts).

/** Expected purchases in `horizon` time units at the calibration rate x / T. */
export function naiveRateForecast(x: number, T: number, horizon: number): number {
  return T > 0 && x > 0 ? (x * horizon) / T : 0;
}

/** naiveRateForecast for every customer. */
export function naiveRateColumn(
  x: ArrayLike<number>,
  T: ArrayLike<number>,
  horizon: number,
): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = naiveRateForecast(x[i] ?? 0, T[i] ?? 0, horizon);
  return out;
}
