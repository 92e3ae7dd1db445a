// The small tables the report charts are drawn from: predicted-vs-actual by decile, and the
// calibration of a probability of any purchase. Runtime-neutral.

type Numbers = ArrayLike<number>;

export interface DecileRow {
  model: string;
  decile: number;
  customers: number;
  predicted: number;
  actual: number;
}

/** Indices ordered by score, ascending (ties keep index order). */
function orderBy(scores: Numbers): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0) || a - b);
}

/**
 * Customers sorted by a model's prediction and cut into ten equal groups; per group the mean
 * predicted and the mean actual value.
 */
export function decileTable(
  model: string,
  predicted: Numbers,
  actual: Numbers,
  groups = 10,
): DecileRow[] {
  const order = orderBy(predicted);
  const n = order.length;
  const rows: DecileRow[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * n) / groups);
    const to = Math.floor(((g + 1) * n) / groups);
    if (to <= from) continue;
    let p = 0;
    let a = 0;
    for (const i of order.subarray(from, to)) {
      p += predicted[i] ?? 0;
      a += actual[i] ?? 0;
    }
    rows.push({
      model,
      decile: g + 1,
      customers: to - from,
      predicted: p / (to - from),
      actual: a / (to - from),
    });
  }
  return rows;
}

export interface CalibrationRow {
  model: string;
  bin: number;
  customers: number;
  predicted: number;
  observed: number;
}

/** Calibration of P(any purchase): ten groups by predicted probability, mean probability vs rate. */
export function probabilityCalibrationTable(
  model: string,
  probability: Numbers,
  actualCounts: Numbers,
  groups = 10,
): CalibrationRow[] {
  const positives = Array.from(actualCounts, (c) => (c > 0 ? 1 : 0));
  return decileTable(model, probability, positives, groups).map((r) => ({
    model,
    bin: r.decile,
    customers: r.customers,
    predicted: r.predicted,
    observed: r.actual,
  }));
}

export interface FrequencyRow {
  frequency: string;
  customers: number;
  series: string;
  mean_holdout_purchases: number;
}

/**
 * Mean holdout purchases by calibration frequency x = 0..cap-1 and cap+, for the actual values and
 * each model's prediction.
 */
export function byFrequencyTable(
  x: Numbers,
  series: Record<string, Numbers>,
  cap = 7,
): FrequencyRow[] {
  const groups = cap + 1;
  const groupOf = Array.from(x, (v) => Math.min(Math.round(v), cap));
  const counts = new Float64Array(groups);
  for (const g of groupOf) counts[g] = (counts[g] ?? 0) + 1;
  const rows: FrequencyRow[] = [];
  for (const [name, values] of Object.entries(series)) {
    const sums = new Float64Array(groups);
    groupOf.forEach((g, i) => {
      sums[g] = (sums[g] ?? 0) + (values[i] ?? 0);
    });
    counts.forEach((count, g) => {
      if (count === 0) return;
      rows.push({
        frequency: g === cap ? `${cap}+` : String(g),
        customers: count,
        series: name,
        mean_holdout_purchases: (sums[g] ?? 0) / count,
      });
    });
  }
  return rows;
}
