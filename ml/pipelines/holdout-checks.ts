// Whether the holdout can score the models: the log must reach past the calibration end, and the
// calibration's customers must buy in it. Otherwise every model is scored against zeros (deviance
// 0, AUC NaN) and the GBDT is trained on them, so that is an error; a thin holdout is a warning.
import { InputError } from "../data/input/input-error.ts";
import { DATE_IN_THE_FUTURE } from "../data/input/skip-reasons.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  purchaseDayRange,
  type TransactionLog,
} from "../data/transaction-log.ts";
import type { CustomerSummaries } from "../features/customer-summaries.ts";

/** A gap this long between the log's last purchase and --holdout-end is worth a warning. */
const QUIET_DAYS = 7;

/**
 * Whether the log reaches the holdout end. Not at all past the calibration end: every model would
 * be scored against zeros (and the GBDT trained on them), so that is an error. Ending well before
 * it: the holdout is cut short and every model's holdout error overstated, so a warning.
 */
export function holdoutReach(
  log: TransactionLog,
  calibrationEnd: string,
  holdoutEnd: string,
  skipped: Record<string, number> = {},
): string[] {
  const { last } = purchaseDayRange(log);
  if (Number.isNaN(last)) return [];
  const lastDate = dayToIsoDate(last);
  if (last <= isoDateToDay(calibrationEnd) && isoDateToDay(holdoutEnd) > last) {
    throw new InputError(
      undefined,
      `--holdout-end ${holdoutEnd}: the log's last purchase is on ${lastDate}, not after --calibration-end ${calibrationEnd}, so the holdout holds nothing to evaluate on${futureRowsNote(skipped)}`,
      {
        hint: `pass a --calibration-end before ${lastDate}, or leave out --holdout-end to fit on the whole log without an evaluation`,
      },
    );
  }
  const gap = isoDateToDay(holdoutEnd) - last;
  if (gap < QUIET_DAYS) return [];
  return [
    `WARNING: the log's last purchase is on ${lastDate}, ${gap} days before --holdout-end ${holdoutEnd}: if the export stops there, the holdout is cut short and every model's holdout error is overstated; pass --holdout-end ${lastDate}`,
  ];
}

/**
 * The rows skipped as dated in the future, when any were: they may be the holdout the error says
 * is empty (an accuracy probe's simulated log ran to 2029; 13% of its rows went without a word).
 */
function futureRowsNote(skipped: Record<string, number>): string {
  const entry = Object.entries(skipped).find(([reason]) => reason.startsWith(DATE_IN_THE_FUTURE));
  if (!entry || entry[1] === 0) return "";
  return ` (${entry[1].toLocaleString("en-US")} rows were skipped as ${entry[0]}: check --date-format, day and month swapped?)`;
}

/** Fewer holdout purchases than this make the evaluation (and the recommended model) noise. */
const THIN_HOLDOUT = 30;

/**
 * Whether the calibration's customers buy in the holdout. None do when the cohort churned whole,
 * when the shop's customer ids changed (a platform migration: old ids never return), or when the
 * export misses the holdout's months: an error. A handful: a warning.
 */
export function holdoutBuyers(summaries: CustomerSummaries, calibrationGiven: boolean): string[] {
  let purchases = 0;
  for (let i = 0; i < summaries.n; i++) purchases += summaries.holdoutPurchases[i]!;
  const { calibrationEnd, holdoutEnd } = summaries.options;
  // The holdout starts the day after the calibration end ("2021-07-03 to 2021-07-04" read as two days).
  const window = `the holdout (after ${calibrationEnd}, to ${holdoutEnd})`;
  if (purchases === 0) {
    const newcomers = summaries.excludedAfterCalibration;
    const who =
      newcomers > 0
        ? `; its buyers are ${newcomers.toLocaleString("en-US")} customers who first bought after the calibration end`
        : "";
    throw new InputError(
      undefined,
      `none of the ${summaries.n.toLocaleString("en-US")} customers who bought by the calibration end buys in ${window}${who}, so every model would be scored against zeros`,
      {
        hint: `if the shop's customer ids changed (a new platform), map the old ids to the new ones first; otherwise ${calibrationGiven ? "pass another --calibration-end / --holdout-end" : "pass --calibration-end and --holdout-end"}, or leave out --holdout-end to fit on the whole log without an evaluation`,
      },
    );
  }
  if (purchases >= THIN_HOLDOUT) return [];
  return [
    `WARNING: the calibration's customers make only ${purchases} purchases (purchase days) in ${window}: the holdout scores, and the recommended model chosen by them, rest on those few purchases`,
  ];
}
