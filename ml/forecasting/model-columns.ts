// The columns a batch forecast fills per model: typed arrays, one value per customer, NaN where a
// value does not exist (an item error, or no feature vector for GBDT).

export interface ModelColumns {
  expectedPurchases: Float64Array;
  pAlive: Float64Array;
  pPurchase: Float64Array;
  expectedSpend: Float64Array;
  clv: Float64Array;
}

export interface GbdtColumns extends ModelColumns {
  /** The spend regression's own prediction of spend over the horizon (scaled like the count). */
  predictedSpend: Float64Array;
  /**
   * Away from the trained horizon H: per customer, E_bg[X(h)] / E_bg[X(H)] (what counts scale by)
   * and BG/NBD's exponent for P(purchase) (bgnbdPurchaseExponent), which the blend borrows too.
   */
  horizonShift: { ratio: Float64Array; exponent: Float64Array } | null;
}

export function nanColumn(n: number): Float64Array {
  if (n > 16) return new Float64Array(n).fill(Number.NaN);
  // A small batch (one customer: ~25 columns) fills faster in a loop than through fill's call.
  const column = new Float64Array(n);
  for (let i = 0; i < n; i++) column[i] = Number.NaN;
  return column;
}

export function emptyColumns(n: number): ModelColumns {
  return {
    expectedPurchases: nanColumn(n),
    pAlive: nanColumn(n),
    pPurchase: nanColumn(n),
    expectedSpend: nanColumn(n),
    clv: nanColumn(n),
  };
}
