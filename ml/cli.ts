// The `ml` command line (`bun run ml …`): train, simulate, track (realized vs. forecast), and the
// registry's promote / rollback / models. Bad arguments give a one-line error naming the option
// and exit code 2.

import { Command, InvalidArgumentError, Option } from "commander";
import { campaignCommand, controlShare, withDatabase } from "./campaigns/campaign-cli.ts";
import { BadRowError } from "./data/bad-rows.ts";
import { isoDateToDay } from "./data/transaction-log.ts";
import {
  addLogInputOptions,
  addTransactionLogOptions,
  logInputFromCli,
  transactionLogFromCli,
} from "./pipelines/log-cli-options.ts";
import { openRegistryFromEnv } from "./pipelines/open-registry.ts";
import { parseParamOverrides, runSimulate, type SimulatedModel } from "./pipelines/simulate.ts";
import { runTrainPipeline } from "./pipelines/train.ts";

function isoDate(value: string): string {
  if (Number.isNaN(isoDateToDay(value))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

function folds(value: string): number {
  const n = positiveInteger(value);
  if (n < 2 || n > 50) throw new InvalidArgumentError(`expected 2..50 folds, got ${n}`);
  return n;
}

/** Opens the registry from the environment, runs `action`, closes it. */
async function withRegistry<T>(
  action: (registry: Awaited<ReturnType<typeof openRegistryFromEnv>>["registry"]) => Promise<T>,
): Promise<T> {
  const opened = await openRegistryFromEnv();
  try {
    return await action(opened.registry);
  } finally {
    await opened.close();
  }
}

/** The registry's CLI commands, loaded when used (E's `shared/registry/commands.ts`). */
async function registryCommands() {
  return import("@pp/shared/registry/commands.ts");
}

export function buildCli(): Command {
  const program = new Command("ml")
    .description("purchase-prediction: train, simulate, and manage registered models")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  const train = program.command("train");
  addLogInputOptions(train);
  train
    .description(
      "fit BG/NBD, Pareto/NBD, Gamma-Gamma and K-fold GBDT; write metrics, report and bundle",
    )
    .requiredOption(
      "--data <file|url>",
      "transaction log (CSV/TSV, .gz, .parquet, .json, postgres://…; cdnow) or customer summaries (summary)",
    )
    .addOption(
      new Option("--format <format>", "input format (postgres:// and .parquet are recognised)")
        .choices(["csv", "parquet", "json", "postgres", "cdnow", "summary"])
        .default("csv"),
    )
    .option(
      "--calibration-end <date>",
      "last day of the calibration period (YYYY-MM-DD; not needed with --format summary)",
      isoDate,
    )
    .option("--holdout-end <date>", "last day of the holdout period (YYYY-MM-DD)", isoDate)
    .addOption(
      new Option("--time-unit <unit>", "time unit of the models")
        .choices(["day", "week"])
        .default("week"),
    )
    .requiredOption("--out <dir>", "directory for metrics.json, report.html and the model bundle")
    .option("--customer-col <name>", "CSV column of the customer id", "customer_id")
    .option("--date-col <name>", "CSV column of the date", "date")
    .option("--amount-col <name>", "CSV column of the amount", "amount")
    .option("--quantity-col <name>", "CSV column of the quantity (optional)")
    .addOption(
      new Option("--on-bad-row <policy>", "malformed rows")
        .choices(["skip", "fail"])
        .default("skip"),
    )
    .option("--folds <k>", "K of the K-fold GBDT cross-validation over customers", folds, 5)
    .option("--seed <n>", "seed of the folds and the GBDT", integer, 42)
    .option("--fast", "fewer, larger boosting steps (quick demos)")
    .option("--register <name>", "register the bundle as a new version of this model")
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
    .action(async (o) => {
      if (!o.calibrationEnd && o.format !== "summary") {
        throw new InvalidArgumentError(
          "--calibration-end <date> is required (except with --format summary)",
        );
      }
      if (o.holdoutEnd && !o.calibrationEnd) {
        throw new InvalidArgumentError("--holdout-end needs --calibration-end");
      }
      if (o.holdoutEnd && isoDateToDay(o.holdoutEnd) <= isoDateToDay(o.calibrationEnd)) {
        throw new InvalidArgumentError(
          `--holdout-end ${o.holdoutEnd} must be after --calibration-end ${o.calibrationEnd}`,
        );
      }
      if ((o.promote || o.promoteIfBetter) && !o.register)
        throw new InvalidArgumentError("--promote needs --register NAME");
      if (o.promote && o.promoteIfBetter)
        throw new InvalidArgumentError("--promote and --promote-if-better: give one of them");
      let input: ReturnType<typeof logInputFromCli>;
      try {
        input = logInputFromCli(o);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      const result = await runTrainPipeline({
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
        ...(o.register
          ? {
              register: o.register,
              promote: o.promote === true,
              promoteIfBetter: o.promoteIfBetter === true,
            }
          : {}),
        ...(o.asOf ? { asOf: o.asOf } : {}),
        evaluateOnly: o.evaluateOnly === true,
      });
      for (const note of [...result.metrics.notes, ...result.metrics.comparison.notes])
        console.log(note);
      for (const [model, m] of Object.entries(result.metrics.models)) {
        const warnings = (m as { warnings?: string[] } | null)?.warnings ?? [];
        if (warnings.length > 0)
          console.log(`${model}: ${warnings.length} fit warning(s): not recommended`);
      }
      console.log(`recommended: ${result.metrics.comparison.recommended}`);
    });

  program
    .command("simulate")
    .description(
      "write a demo transaction CSV drawn from a BG/NBD or Pareto/NBD population " +
        "(--campaign: a simulated campaign with known uplift, decisions into decision_log)",
    )
    .addOption(
      new Option("--model <model>", "population model")
        .choices(["bgnbd", "pareto"])
        .default("bgnbd"),
    )
    .option("--customers <n>", "number of customers", positiveInteger, 5000)
    .option("--seed <n>", "random seed", integer, 42)
    .requiredOption("--out <file>", "CSV file to write")
    .option("--params <list>", "parameter overrides, e.g. r=0.3,alpha=5 (default: CDNOW fit)")
    .option("--start <date>", "first acquisition date", isoDate, "1997-01-01")
    .option("--campaign <id>", "campaign mode: decisions into decision_log, purchases to --out")
    .option("--control-share <x>", "campaign mode: share held out as control", controlShare, 0.2)
    .action(async (o) => {
      if (o.campaign) {
        const { runSimulateCampaign } = await import("./campaigns/simulate-campaign.ts");
        await withDatabase((db) =>
          runSimulateCampaign({
            db,
            campaign: o.campaign,
            customers: o.customers,
            seed: o.seed,
            controlShare: o.controlShare,
            out: o.out,
            ...(process.env.CAMPAIGN_SECRET ? { secret: process.env.CAMPAIGN_SECRET } : {}),
          }),
        );
        return;
      }
      const model = o.model as SimulatedModel;
      let params: Record<string, number> = {};
      try {
        params = o.params ? parseParamOverrides(o.params, model) : {};
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
      const { rows, population } = await runSimulate({
        model,
        customers: o.customers,
        seed: o.seed,
        start: o.start,
        params,
        out: o.out,
      });
      const window = population.exact.options;
      console.log(
        `wrote ${rows} transactions of ${o.customers} customers to ${o.out} ` +
          `(calibration end ${window.calibrationEnd}, holdout end ${window.holdoutEnd})`,
      );
    });

  const track = program
    .command("track")
    .description(
      "compare a registered version's forecasts with the purchases after its cutoff; store the result",
    )
    .requiredOption("--model <name>", "registered model name")
    .option("--version <n>", "model version (default: the production version)", positiveInteger)
    .option("--window-end <date>", "last day of the window (default: last transaction)", isoDate)
    .option("--out <dir>", "directory for tracking.json and tracking.html");
  addTransactionLogOptions(track, "transactions after the cutoff (the full log works too)").action(
    async (o) => {
      const read = transactionLogFromCli(o);
      const { runTrackFromEnv } = await import("./pipelines/track.ts");
      await runTrackFromEnv({
        model: o.model,
        ...(o.version ? { version: o.version } : {}),
        data: read.path,
        format: read.format,
        ...(read.columns ? { columns: read.columns } : {}),
        ...(read.onBadRow ? { onBadRow: read.onBadRow } : {}),
        ...(read.log ? { log: read.log } : {}),
        ...(o.windowEnd ? { windowEnd: o.windowEnd } : {}),
        ...(o.out ? { out: o.out } : {}),
      });
    },
  );

  program.addCommand(campaignCommand());

  const score = program.command("score");
  addLogInputOptions(score); // --data takes train's input options (its --table doubles as --to's)
  const tableOption = score.options.find((option) => option.long === "--table");
  if (tableOption) {
    tableOption.description =
      "with --to: the table to upsert into (created if absent); else with --data postgres://…: the table to read";
  }
  score
    .description(
      "forecast every customer of a registered version (or of a log) to CSV, Parquet or PostgreSQL",
    )
    .requiredOption("--model <name>", "registered model name")
    .option("--version <n>", "model version (default: the production version)", positiveInteger)
    .option("--out <file>", "FILE.csv or FILE.parquet")
    .option("--to <url>", "postgres://… database to upsert into (with --table)")
    .option(
      "--data <file|url>",
      "score this transaction log (CSV/TSV, .gz, .parquet, .json, postgres://…; cdnow) instead of the stored customers",
    )
    .addOption(
      new Option("--format <format>", "format of --data (postgres:// and .parquet are recognised)")
        .choices(["csv", "parquet", "json", "postgres", "cdnow"])
        .default("csv"),
    )
    .option("--as-of <date>", "with --data: summarise at this date (default: last date)", isoDate)
    .option("--horizon <h>", "forecast horizon, e.g. 52w or 365d", "52w")
    .option("--discount-rate <r>", "annual discount rate for CLV (0.1 = 10%)", Number, 0)
    .option("--shard <i/n>", "score the i-th (0-based) of n disjoint parts of the customers")
    .option("--intervals <levels>", "add per model lo/hi columns at these levels, e.g. 0.8,0.95")
    .option("--customer-col <name>", "CSV column of the customer id", "customer_id")
    .option("--date-col <name>", "CSV column of the date", "date")
    .option("--amount-col <name>", "CSV column of the amount", "amount")
    .option("--quantity-col <name>", "CSV column of the quantity (optional)")
    .addOption(
      new Option("--on-bad-row <policy>", "malformed rows")
        .choices(["skip", "fail"])
        .default("skip"),
    )
    .action(async (o) => {
      const { runScoreCommand } = await import("./scoring/score-command.ts");
      await runScoreCommand(o);
    });

  program
    .command("promote")
    .description("make VERSION the production version of NAME")
    .argument("<name>")
    .argument("<version>")
    .action(async (name: string, version: string) => {
      const { promoteCommand } = await registryCommands();
      await withRegistry((registry) => promoteCommand(registry, name, version));
    });

  program
    .command("rollback")
    .description("put the previous production version of NAME back")
    .argument("<name>")
    .action(async (name: string) => {
      const { rollbackCommand } = await registryCommands();
      await withRegistry((registry) => rollbackCommand(registry, name));
    });

  program
    .command("publish")
    .description("upload a version's bundle to R2 and point the forecast Workers' KV pointer at it")
    .argument("<name>")
    .argument("[version]", "default: the production version")
    .requiredOption("--target <target>", "where to publish: cloudflare")
    .option("--local", "wrangler's local state (what `wrangler dev` reads), not the account")
    .option("--persist-to <dir>", "wrangler --persist-to directory of `wrangler dev`")
    .option("--config <file>", "wrangler config with the bindings (default: the forecast one)")
    .action(async (name: string, version: string | undefined, o: Record<string, string>) => {
      // Publishing is the forecast service's deploy step: run as its own process, not imported
      // (ml sits upstream of the services).
      const { runForecastPublish } = await import("./pipelines/run-forecast-publish.ts");
      const code = await runForecastPublish(name, version, o);
      if (code !== 0) throw new RangeError(`the forecast publish step failed (exit ${code})`);
    });

  program
    .command("demo-model")
    .description(
      "seed the demo model (simulated data, promoted) when MODEL_NAME has no production version; DEMO_MODEL=false skips it",
    )
    .action(async () => {
      const { seedDemoModelFromEnv } = await import("./pipelines/seed-demo-model.ts");
      await seedDemoModelFromEnv();
    });

  program
    .command("models")
    .description("list registered model versions")
    .argument("[name]")
    .action(async (name?: string) => {
      const { listModelsCommand } = await registryCommands();
      const { trackingByVersion } = await import("./tracking/tracking-by-version.ts");
      const opened = await openRegistryFromEnv();
      try {
        const tracked = await trackingByVersion(opened.db);
        await listModelsCommand(opened.registry, name, console.log, tracked);
      } finally {
        await opened.close();
      }
    });

  program
    .command("gc")
    .description("list (dry run) or --delete artifact prefixes that no model version references")
    .option("--delete", "remove them")
    .option("--min-age <age>", "keep prefixes younger than this (0, 90s, 15m, 1h, 7d)", "1h")
    .action(async (o: { delete?: boolean; minAge: string }) => {
      const { gcCommand, parseMinAge } = await import("@pp/shared/registry/gc-command.ts");
      const minAgeMs = parseMinAge(o.minAge);
      await withRegistry((registry) =>
        gcCommand(registry, { delete: o.delete === true, minAgeMs }),
      );
    });

  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    // Thrown by an action (commander has not printed it).
    if (e instanceof InvalidArgumentError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return 0;
    if (e.code?.startsWith("commander.")) return e.exitCode === 1 ? 2 : (e.exitCode ?? 2); // printed
    if (e instanceof BadRowError || e instanceof RangeError || e.name?.endsWith("InputError")) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    if (e.name === "RegistryNotFoundError" || e.name === "RegistryStateError") {
      console.error(`error: ${e.message}`);
      return 1;
    }
    console.error(e.stack ?? String(e));
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2));
}
