// `ml score`: every customer of a registered version (or of a log given with --data) forecast to
// CSV, Parquet or a PostgreSQL table.

import { type Command, Option } from "commander";
import { LOG_FORMATS } from "../data/input/log-input.ts";
import { addLogInputOptions } from "../pipelines/log-cli-options.ts";
import { isoDate, modelName, versionNumber } from "./arguments.ts";

export function registerScoreCommand(program: Command): void {
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
    .requiredOption("--model <name>", "registered model name", modelName)
    .option("--version <n>", "model version (default: the production version)", versionNumber)
    .option("--out <file>", "FILE.csv or FILE.parquet")
    .option("--to <url>", "postgres://… database to upsert into (with --table)")
    .option(
      "--data <file|url>",
      "score this transaction log (CSV/TSV, .gz, .parquet, .json, postgres://…; cdnow) instead of the stored customers",
    )
    .addOption(
      new Option("--format <format>", "format of --data (postgres:// and .parquet are recognised)")
        .choices(LOG_FORMATS)
        .default("csv"),
    )
    .option("--as-of <date>", "with --data: summarise at this date (default: last date)", isoDate)
    .option("--horizon <h>", "forecast horizon, e.g. 52w or 365d", "52w")
    .option("--discount-rate <r>", "annual discount rate for CLV (0.1 = 10%)", Number, 0)
    .option("--shard <i/n>", "score the i-th (0-based) of n disjoint parts of the customers")
    .option("--intervals <levels>", "add per model lo/hi columns at these levels, e.g. 0.8,0.95")
    .option("--customer-col <name>", "CSV column of the customer id", "customer_id")
    .option("--date-col <name>", "CSV column of the date", "date")
    .option(
      "--amount-col <name>",
      "CSV column of the amount (none: a log without amounts, counts only)",
      "amount",
    )
    .option("--quantity-col <name>", "CSV column of the quantity (optional)")
    .addOption(
      new Option("--on-bad-row <policy>", "malformed rows")
        .choices(["skip", "fail"])
        .default("skip"),
    )
    .action(async (o) => {
      const { runScoreCommand } = await import("../scoring/score-command.ts");
      await runScoreCommand(o);
    });
}
