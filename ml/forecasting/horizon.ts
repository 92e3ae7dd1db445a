// Request horizons ({value, unit}) in the model's time unit, and the discounting grid used for CLV.

export type TimeUnit = "day" | "week";

export interface Horizon {
  value: number;
  unit: TimeUnit;
}

const DAYS: Record<TimeUnit, number> = { day: 1, week: 7 };

/** The horizon expressed in `modelUnit` (days / 7 for a weekly model, weeks × 7 for a daily one). */
export function horizonInModelUnits(horizon: Horizon, modelUnit: TimeUnit): number {
  return (horizon.value * DAYS[horizon.unit]) / DAYS[modelUnit];
}

/**
 * CLV discounts purchases week by week: a step of one week in the model's unit (1 for weekly
 * models, 7 for daily ones), so a year costs ~52 evaluations whatever the unit.
 */
export function clvStep(modelUnit: TimeUnit): number {
  return 7 / DAYS[modelUnit];
}
