// Holdout metrics that compare per-customer predictions with what customers then did: error of
// predicted purchase counts (MAE, RMSE, Poisson deviance, totals) and quality of P(any purchase).

/** Smallest mean a Poisson deviance or probability is clipped to, so a zero forecast stays finite. */
const PROBABILITY_EPSILON = 1e-15;

type Numbers = ArrayLike<number>;

function checkSameLength(actual: Numbers, predicted: Numbers): void {
  if (actual.length !== predicted.length) {
    throw new RangeError(
      `actual has ${actual.length} values but predicted has ${predicted.length}`,
    );
  }
}

/** Mean absolute error. */
export function meanAbsoluteError(actual: Numbers, predicted: Numbers): number {
  checkSameLength(actual, predicted);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i]! - predicted[i]!);
  return actual.length === 0 ? Number.NaN : sum / actual.length;
}

/** Root mean squared error. */
export function rootMeanSquaredError(actual: Numbers, predicted: Numbers): number {
  checkSameLength(actual, predicted);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (actual[i]! - predicted[i]!) ** 2;
  return actual.length === 0 ? Number.NaN : Math.sqrt(sum / actual.length);
}

/**
 * Mean Poisson deviance, 2 * mean(y log(y / mu) - (y - mu)), with the y log y term 0 at y = 0
 * (so a customer who bought nothing contributes 2 mu). mu is clipped to PROBABILITY_EPSILON.
 */
export function poissonDeviance(actual: Numbers, predicted: Numbers): number {
  checkSameLength(actual, predicted);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i]!;
    const mu = Math.max(predicted[i]!, PROBABILITY_EPSILON);
    sum += (y > 0 ? y * Math.log(y / mu) : 0) - (y - mu);
  }
  return actual.length === 0 ? Number.NaN : (2 * sum) / actual.length;
}

/** Sum of the values (predicted or actual total purchases of the population). */
export function total(values: Numbers): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}

/**
 * Area under the ROC curve for binary labels (label > 0 is positive) and scores, by the
 * Mann-Whitney rank statistic with average ranks for tied scores (a tie counts one half).
 * NaN when one class is absent.
 */
export function areaUnderRoc(labels: Numbers, scores: Numbers): number {
  checkSameLength(labels, scores);
  const n = labels.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    // Ranks i+1..j+1 share their average.
    const averageRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!]! > 0) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean binary cross-entropy; probabilities are clipped to [eps, 1 - eps] so 0 and 1 stay finite. */
export function logLoss(
  labels: Numbers,
  probabilities: Numbers,
  eps = PROBABILITY_EPSILON,
): number {
  checkSameLength(labels, probabilities);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, eps), 1 - eps);
    sum -= labels[i]! > 0 ? Math.log(p) : Math.log(1 - p);
  }
  return labels.length === 0 ? Number.NaN : sum / labels.length;
}

/** Count-forecast metrics for the holdout period. */
export interface CountMetrics {
  mae: number;
  rmse: number;
  poisson_deviance: number;
  predicted_total: number;
  actual_total: number;
}

/** Metrics of a probability of any purchase against whether a purchase happened. */
export interface PurchaseMetrics {
  auc: number;
  log_loss: number;
}

export function countMetrics(actual: Numbers, predicted: Numbers): CountMetrics {
  return {
    mae: meanAbsoluteError(actual, predicted),
    rmse: rootMeanSquaredError(actual, predicted),
    poisson_deviance: poissonDeviance(actual, predicted),
    predicted_total: total(predicted),
    actual_total: total(actual),
  };
}

/** `actualCounts` are holdout purchase counts; a customer with a count > 0 is a positive. */
export function purchaseMetrics(actualCounts: Numbers, probabilities: Numbers): PurchaseMetrics {
  return {
    auc: areaUnderRoc(actualCounts, probabilities),
    log_loss: logLoss(actualCounts, probabilities),
  };
}

/** Per-metric spread across folds: mean, standard deviation (n - 1), min and max. */
export interface MetricSpread {
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** The spread of each numeric metric over a list of per-fold metric records. */
export function spreadAcrossFolds<T extends object>(
  folds: T[],
): Record<keyof T & string, MetricSpread> {
  const out = {} as Record<string, MetricSpread>;
  const first = folds[0];
  if (first === undefined) return out as Record<keyof T & string, MetricSpread>;
  for (const key of Object.keys(first)) {
    const values = folds
      .map((f) => (f as Record<string, unknown>)[key])
      .filter((v): v is number => typeof v === "number");
    if (values.length !== folds.length) continue;
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance =
      values.length > 1 ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1) : 0;
    out[key] = {
      mean,
      std: Math.sqrt(variance),
      min: Math.min(...values),
      max: Math.max(...values),
    };
  }
  return out as Record<keyof T & string, MetricSpread>;
}
