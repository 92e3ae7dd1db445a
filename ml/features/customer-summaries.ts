// The per-customer summary at a cutoff that every purchase model is fitted on: frequency x,
// recency t_x and age T (the "RFM" of the BTYD literature), mean repeat spend, and holdout actuals.

export type TimeUnit = "day" | "week";

export interface SummaryOptions {
  /** Last day of the calibration period, inclusive, `YYYY-MM-DD`. */
  calibrationEnd: string;
  /** Last day of the holdout period, inclusive, `YYYY-MM-DD`; omit when there is no holdout. */
  holdoutEnd?: string;
  timeUnit: TimeUnit;
}

/**
 * Summaries in columnar form; index i is one customer. Conventions (those of Fader, Hardie & Lee):
 * purchases on the same day count as one purchase (their amounts are summed);
 * x = number of repeat purchase days in the calibration period;
 * t_x = time of the last purchase day minus the first, T = calibration end minus the first purchase
 * day, both in `timeUnit` (days / 7 for weeks), the calibration end being the given inclusive date;
 * monetary = mean spend per repeat purchase day (0 when x = 0).
 */
export interface CustomerSummaries {
  ids: string[];
  n: number;
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  /** Spend on the first purchase day (not part of `monetary`). */
  firstSpend: Float64Array;
  /** First purchase, as days since 1970-01-01. */
  firstDay: Int32Array;
  /** Purchase days in (calibrationEnd, holdoutEnd]; zeros when there is no holdout. */
  holdoutPurchases: Float64Array;
  /** Spend in (calibrationEnd, holdoutEnd]. */
  holdoutSpend: Float64Array;
  /** Length of the holdout period in `timeUnit` (0 when there is none). */
  holdoutLength: number;
  /** Customers whose first purchase falls after the calibration end: excluded and counted. */
  excludedAfterCalibration: number;
  options: SummaryOptions;
}
