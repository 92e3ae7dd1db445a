// Realized vs. forecast: a model version's per-customer forecasts for a window after its cutoff
// compared with the purchases that happened, overall, by customer segment and by calibration bin.
// Pure and runtime-neutral; `ml/pipelines/track.ts` feeds it from the registry and a data file.

/** Frequency at the cutoff (repeat purchases x) splits customers the way BTYD errors differ. */
export const TRACKING_SEGMENTS = [
  { name: "x=0", min: 0, max: 0 },
  { name: "x=1", min: 1, max: 1 },
  { name: "x=2-3", min: 2, max: 3 },
  { name: "x=4-7", min: 4, max: 7 },
  { name: "x>=8", min: 8, max: Number.POSITIVE_INFINITY },
] as const;

/** Calibration bins by predicted purchases: [edge_i, edge_{i+1}). */
export const CALIBRATION_EDGES = [0, 0.1, 0.25, 0.5, 1, 2, 4, Number.POSITIVE_INFINITY] as const;

export interface SegmentAccuracy {
  segment: string;
  customers: number;
  predicted_mean: number;
  realized_mean: number;
  mae: number;
  rmse: number;
  /** Mean predicted minus mean realized: > 0 means the model over-forecasts. */
  bias: number;
}

export interface CalibrationBin {
  /** "[lower, upper)" of the predicted value. */
  bin: string;
  lower: number;
  upper: number;
  customers: number;
  predicted_mean: number;
  realized_mean: number;
}

export interface ForecastAccuracy {
  forecaster: string;
  customers: number;
  metrics: {
    mae: number;
    rmse: number;
    bias: number;
    predicted_total: number;
    realized_total: number;
    /** realized_total / predicted_total: 1 is a perfectly calibrated aggregate. */
    realized_to_predicted: number;
    /** Customer-weighted mean |mean predicted − mean realized| over the calibration bins. */
    calibration_error: number;
    /** Share of customers with a purchase in the window. */
    realized_any_share: number;
  };
  /** "all" first, then TRACKING_SEGMENTS that have customers. */
  segments: SegmentAccuracy[];
  calibration: CalibrationBin[];
}

interface Sums {
  n: number;
  predicted: number;
  realized: number;
  absError: number;
  squaredError: number;
}

const emptySums = (): Sums => ({ n: 0, predicted: 0, realized: 0, absError: 0, squaredError: 0 });

function add(s: Sums, predicted: number, realized: number): void {
  const e = predicted - realized;
  s.n++;
  s.predicted += predicted;
  s.realized += realized;
  s.absError += Math.abs(e);
  s.squaredError += e * e;
}

function segmentAccuracy(segment: string, s: Sums): SegmentAccuracy {
  return {
    segment,
    customers: s.n,
    predicted_mean: s.predicted / s.n,
    realized_mean: s.realized / s.n,
    mae: s.absError / s.n,
    rmse: Math.sqrt(s.squaredError / s.n),
    bias: (s.predicted - s.realized) / s.n,
  };
}

/** The segment of a customer with `x` repeat purchases at the cutoff. */
export function segmentOf(x: number): string {
  for (const s of TRACKING_SEGMENTS) if (x >= s.min && x <= s.max) return s.name;
  throw new RangeError(`x: expected a non-negative number of repeat purchases, got ${x}`);
}

/** The calibration bins [lower, upper) between consecutive CALIBRATION_EDGES, with empty sums. */
function calibrationBins(): { lower: number; upper: number; sums: Sums }[] {
  const bins: { lower: number; upper: number; sums: Sums }[] = [];
  let lower: number = CALIBRATION_EDGES[0];
  for (const upper of CALIBRATION_EDGES.slice(1)) {
    bins.push({ lower, upper, sums: emptySums() });
    lower = upper;
  }
  return bins;
}

/**
 * Accuracy of one forecaster. `predicted[i]` and `realized[i]` are customer i's expected and actual
 * purchases in the window, `frequency[i]` the repeat purchases at the cutoff (for the segments).
 */
export function forecastAccuracy(
  forecaster: string,
  predicted: ArrayLike<number>,
  realized: ArrayLike<number>,
  frequency: ArrayLike<number>,
): ForecastAccuracy {
  const n = predicted.length;
  if (realized.length !== n || frequency.length !== n) {
    throw new RangeError(
      `predicted, realized and frequency must have one value per customer (${n}, ${realized.length}, ${frequency.length})`,
    );
  }
  if (n === 0) throw new RangeError("no customers to track");
  const all = emptySums();
  const bySegment = new Map<string, Sums>(TRACKING_SEGMENTS.map((s) => [s.name, emptySums()]));
  const bins = calibrationBins();
  let withPurchase = 0;
  for (let i = 0; i < n; i++) {
    // i < n, the arrays' common length: the ?? fallbacks never apply.
    const p = predicted[i] ?? Number.NaN;
    const r = realized[i] ?? 0;
    if (!Number.isFinite(p) || p < 0) {
      throw new RangeError(`${forecaster}: customer ${i} has an invalid forecast ${p}`);
    }
    add(all, p, r);
    add(bySegment.get(segmentOf(frequency[i] ?? 0)) as Sums, p, r);
    // The last bin is unbounded, so a finite forecast always finds one.
    const bin = bins.find((c) => p < c.upper);
    if (bin) add(bin.sums, p, r);
    if (r > 0) withPurchase++;
  }
  const calibration: CalibrationBin[] = [];
  let calibrationError = 0;
  for (const { lower, upper, sums: s } of bins) {
    if (s.n === 0) continue;
    calibration.push({
      bin: `[${lower}, ${upper === Number.POSITIVE_INFINITY ? "inf" : upper})`,
      lower,
      upper,
      customers: s.n,
      predicted_mean: s.predicted / s.n,
      realized_mean: s.realized / s.n,
    });
    calibrationError += (s.n / n) * Math.abs((s.predicted - s.realized) / s.n);
  }
  const overall = segmentAccuracy("all", all);
  return {
    forecaster,
    customers: n,
    metrics: {
      mae: overall.mae,
      rmse: overall.rmse,
      bias: overall.bias,
      predicted_total: all.predicted,
      realized_total: all.realized,
      realized_to_predicted: all.predicted > 0 ? all.realized / all.predicted : Number.NaN,
      calibration_error: calibrationError,
      realized_any_share: withPurchase / n,
    },
    segments: [
      overall,
      ...TRACKING_SEGMENTS.flatMap((s) => {
        const sums = bySegment.get(s.name) as Sums;
        return sums.n > 0 ? [segmentAccuracy(s.name, sums)] : [];
      }),
    ],
    calibration,
  };
}
