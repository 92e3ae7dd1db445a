// `ml train`: the training pipeline (ml/pipelines/train.ts) from the command line: checks the
// option combinations, runs it, and prints its notes, fit warnings and the recommended model.

import { statSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { isoDateToDay } from "../data/transaction-log.ts";
import type { TimeUnit } from "../features/customer-summaries.ts";
import { addTransactionLogOptions, logInputFromCli } from "../pipelines/log-cli-options.ts";
import type { TrainPipelineOptions, TrainPipelineResult } from "../pipelines/train.ts";
import type { DataFormat } from "../pipelines/train-models.ts";
import { folds, integer, isoDate, modelName, nonNegativeInteger } from "./arguments.ts";
import { addWorkersTargetOptions, checkedTarget, publishToWorkers } from "./workers-target.ts";

/** What commander parses from `ml train`'s options (a type, so it is a Record for logInputFromCli). */
type TrainCliOptions = {
  data: string;
  format: DataFormat;
  calibrationEnd?: string;
  holdoutEnd?: string;
  timeUnit: TimeUnit;
  out: string;
  customerCol: string;
  dateCol: string;
  amountCol: string;
  quantityCol?: string;
  onBadRow: BadRowPolicy;
  folds: number;
  seed: number;
  fast?: boolean;
  countBag: boolean;
  workers?: number;
  register?: string;
  promote?: boolean;
  promoteIfBetter?: boolean;
  publish?: string;
  asOf?: string;
  evaluateOnly?: boolean;
  local?: boolean;
  persistTo?: string;
  config?: string;
};

/** Option combinations commander cannot check on its own. */
function checkTrainOptions(o: TrainCliOptions): void {
  const { calibrationEnd, holdoutEnd } = o;
  if (holdoutEnd && !calibrationEnd) {
    throw new InvalidArgumentError("--holdout-end needs --calibration-end");
  }
  if (holdoutEnd && calibrationEnd && isoDateToDay(holdoutEnd) <= isoDateToDay(calibrationEnd)) {
    throw new InvalidArgumentError(
      `--holdout-end ${holdoutEnd} must be after --calibration-end ${calibrationEnd}`,
    );
  }
  if ((o.promote || o.promoteIfBetter) && !o.register)
    throw new InvalidArgumentError("--promote needs --register NAME");
  if (o.promote && o.promoteIfBetter)
    throw new InvalidArgumentError("--promote and --promote-if-better: give one of them");
  if (o.publish !== undefined && !(o.promote || o.promoteIfBetter))
    throw new InvalidArgumentError("--publish needs --promote or --promote-if-better");
  // Checked before training: the bundle's folder is made at the end (EEXIST after the whole fit).
  if (statSync(o.out, { throwIfNoEntry: false })?.isDirectory() === false)
    throw new InvalidArgumentError(
      `--out: ${o.out} is a file; give a folder (the bundle's files are written into it)`,
    );
  try {
    checkedTarget("--publish", o.publish);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** With --publish: the registered version goes to the forecast Workers if it became production. */
async function publishTrained(result: TrainPipelineResult, o: TrainCliOptions): Promise<void> {
  const registered = result.registered;
  if (!o.publish || !registered) return;
  if (registered.stage !== "production") {
    console.log(`not published: ${registered.name} v${registered.version} is not production`);
    return;
  }
  await publishToWorkers(
    registered.name,
    `${registered.name} v${registered.version} is registered and production`,
    o,
  );
}

function trainPipelineOptions(o: TrainCliOptions): TrainPipelineOptions {
  let input: ReturnType<typeof logInputFromCli>;
  try {
    input = logInputFromCli(o);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return {
    data: o.data,
    format: input.format,
    log: input.log,
    ...(o.calibrationEnd ? { calibrationEnd: o.calibrationEnd } : {}),
    ...(o.holdoutEnd ? { holdoutEnd: o.holdoutEnd } : {}),
    timeUnit: o.timeUnit,
    out: o.out,
    columns: {
      customerId: o.customerCol,
      date: o.dateCol,
      amount: o.amountCol,
      ...(o.quantityCol ? { quantity: o.quantityCol } : {}),
    },
    onBadRow: o.onBadRow,
    folds: o.folds,
    seed: o.seed,
    fast: o.fast === true,
    ...(o.countBag ? {} : { bagCount: false }),
    ...(o.workers === undefined ? {} : { workers: o.workers }),
    ...(o.register
      ? {
          register: o.register,
          promote: o.promote === true,
          promoteIfBetter: o.promoteIfBetter === true,
        }
      : {}),
    ...(o.asOf ? { asOf: o.asOf } : {}),
    evaluateOnly: o.evaluateOnly === true,
  };
}

function printTrainResult(result: TrainPipelineResult): void {
  for (const note of [...result.metrics.notes, ...result.metrics.comparison.notes])
    console.log(note);
  for (const [model, m] of Object.entries(result.metrics.models)) {
    const warnings = (m as { warnings?: string[] } | null)?.warnings ?? [];
    if (warnings.length > 0)
      console.log(`${model}: ${warnings.length} fit warning(s): not recommended`);
  }
  console.log(`recommended: ${result.metrics.comparison.recommended}`);
}

export function registerTrainCommand(program: Command): void {
  const train = program
    .command("train")
    .description(
      "fit BG/NBD, Pareto/NBD, Gamma-Gamma and K-fold GBDT; write metrics, report and bundle",
    );
  addTransactionLogOptions(train, "transaction log", { summaries: true })
    .option(
      "--calibration-end <date>",
      "last day of the calibration period (YYYY-MM-DD; default: the log's last third, a year at most, is held out; not needed with --format summary)",
      isoDate,
    )
    .option("--holdout-end <date>", "last day of the holdout period (YYYY-MM-DD)", isoDate)
    .addOption(
      new Option(
        "--time-unit <unit>",
        "time unit of the models (needed with summaries in lifetimes' names: it counts in days)",
      )
        .choices(["day", "week"])
        .default("week"),
    )
    .requiredOption("--out <dir>", "directory for metrics.json, report.html and the model bundle")
    .option("--folds <k>", "K of the K-fold GBDT cross-validation over customers", folds, 5)
    .option("--seed <n>", "seed of the folds and the GBDT", integer, 42)
    .option("--fast", "fewer, larger boosting steps (quick demos)")
    .option(
      "--no-count-bag",
      "one count GBDT instead of a bag of 3 (less GBDT training time, a little less accurate)",
    )
    .option(
      "--workers <n>",
      "threads for the GBDT fits (from 10,000 customers) and the calibration (default: ML_WORKERS, else the machine's cores; 0 or 1: none)",
      nonNegativeInteger,
    )
    .option("--register <name>", "register the bundle as a new version of this model", modelName)
    .option("--promote", "make the registered version production")
    .option(
      "--promote-if-better",
      "promote only if not worse than production on the same evaluation split (Poisson deviance)",
    )
    .option(
      "--as-of <date>",
      "production step: refit as of this date (default: last date)",
      isoDate,
    )
    .option("--evaluate-only", "skip the production step: the bundle holds the calibration fits")
    .option(
      "--publish <target>",
      "then publish the version to the forecast Workers if it became production: cloudflare",
    );
  addWorkersTargetOptions(train, "--publish").action(async (o: TrainCliOptions) => {
    checkTrainOptions(o);
    // Loaded here: the training stack is most of what `ml` would load at start.
    const { runTrainPipeline } = await import("../pipelines/train.ts");
    const timeUnitGiven = train.getOptionValueSource("timeUnit") !== "default";
    const result = await runTrainPipeline({ ...trainPipelineOptions(o), timeUnitGiven });
    printTrainResult(result);
    await publishTrained(result, o);
  });
}
