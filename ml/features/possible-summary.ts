// Whether a customer summary can come from a purchase history. Purchases count once a day (same-day
// ones merge, in training and in the forecast service), so x repeat purchases span at least x − 1
// days: a summary with less recency is in another time unit (days given as weeks) or miscounted.
import type { SummaryOptions } from "./customer-summaries.ts";
import { unitDays } from "./summaries.ts";

/**
 * Why (x, t_x) cannot be a history's ("30 repeat purchases need recency >= 4.1429 weeks …"), or
 * null. A day of slack: with times of day, x + 1 purchase days can span just over x − 1 days
 * (23:59 on the first, 00:00 on the last).
 */
export function impossibleSummary(
  x: number,
  tx: number,
  timeUnit: SummaryOptions["timeUnit"],
): string | null {
  const days = unitDays(timeUnit);
  if (x <= tx * days + 1) return null;
  const need = Number(((x - 1) / days).toFixed(4));
  return `${x} repeat purchases need recency >= ${need} ${timeUnit}s (purchases count once a day), got ${tx}`;
}
