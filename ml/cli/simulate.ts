// `ml simulate`: a demo transaction CSV drawn from a BG/NBD or Pareto/NBD population, or with
// --campaign a simulated campaign with known uplift (decisions into decision_log).

import { type Command, InvalidArgumentError, Option } from "commander";
import { campaignId, controlShare, withDatabase } from "../campaigns/campaign-cli.ts";
import { parseParamOverrides, runSimulate, type SimulatedModel } from "../pipelines/simulate.ts";
import { customerCount, integer, isoDate } from "./arguments.ts";

interface SimulateOptions {
  model: string;
  customers: number;
  seed: number;
  out: string;
  params?: string;
  start: string;
  campaign?: string;
  controlShare: number;
  explorationShare?: number;
}

async function simulateCampaign(o: SimulateOptions & { campaign: string }): Promise<void> {
  const { runSimulateCampaign } = await import("../campaigns/simulate-campaign.ts");
  await withDatabase((db) =>
    runSimulateCampaign({
      db,
      campaign: o.campaign,
      customers: o.customers,
      seed: o.seed,
      controlShare: o.controlShare,
      explorationShare: o.explorationShare ?? 0,
      out: o.out,
      ...(process.env.CAMPAIGN_SECRET ? { secret: process.env.CAMPAIGN_SECRET } : {}),
    }),
  );
}

async function simulate(o: SimulateOptions): Promise<void> {
  if (o.campaign) return simulateCampaign({ ...o, campaign: o.campaign });
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
}

export function registerSimulateCommand(program: Command): void {
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
    .option("--customers <n>", "number of customers", customerCount, 5000)
    .option("--seed <n>", "random seed", integer, 42)
    .requiredOption("--out <file>", "CSV file to write")
    .option("--params <list>", "parameter overrides, e.g. r=0.3,alpha=5 (default: CDNOW fit)")
    .option("--start <date>", "first acquisition date", isoDate, "1997-01-01")
    .option(
      "--campaign <id>",
      "campaign mode: decisions into decision_log, purchases to --out",
      campaignId,
    )
    .option("--control-share <x>", "campaign mode: share held out as control", controlShare, 0.2)
    .option(
      "--exploration-share <x>",
      "campaign mode: share of treated customers given a uniformly drawn eligible action (0..0.5)",
      controlShare,
    )
    .action(simulate);
}
