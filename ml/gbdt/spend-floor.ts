// The GBDT spend model is a squared-error regression: its trees may sum below zero for a customer
// who is all but gone. No spend over a horizon is negative, so every figure read from it is
// floored here, in one place (training's out-of-fold scores, the served and scored forecasts).

/** A spend regression's output as a spend: 0 below zero, NaN (no prediction) kept. */
export function spendFromRegression(raw: number): number {
  return Math.max(raw, 0);
}

/** The same for a column of predictions, in a new array. */
export function spendsFromRegression(raw: ArrayLike<number>): Float64Array {
  return Float64Array.from(raw, spendFromRegression);
}
