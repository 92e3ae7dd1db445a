// Test support for suites that run `ml train --register` as a real process on a simulated log:
// the arguments (a fast, two-fold, one-worker run with one count GBDT instead of the bag, with the
// CDNOW-like calibration dates). These suites test what reaches the database, not the models.

/** `ml train` on `log` into `out`, registered as `name`, with `extra` flags (e.g. `--promote`). */
export function simulatedTrainArgs(log: string, out: string, name: string, ...extra: string[]) {
  return [
    "train",
    "--data",
    log,
    "--calibration-end",
    "1997-09-30",
    "--holdout-end",
    "1998-06-30",
    "--out",
    out,
    "--register",
    name,
    ...extra,
    "--fast",
    "--folds",
    "2",
    "--workers",
    "1",
    "--no-count-bag",
  ];
}
