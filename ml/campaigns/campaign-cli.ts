// The `ml campaign` commands (report, learn), registered by ml/cli.ts with one line. Both open the
// decision service's database: DATABASE_URL, else PGlite in DECISION_DATA_DIR, else DATA_DIR.
import {
  CAMPAIGN_ID_PATTERN,
  CAMPAIGN_ID_RULE,
  isStoredCampaignId,
  STORED_CAMPAIGN_ID_RULE,
} from "@pp/shared/campaigns/campaign-id.ts";
import { plainDecimalFrom } from "@pp/shared/contracts/plain-decimal.ts";
import type { Database } from "@pp/shared/db/database.ts";
import { shownText } from "@pp/shared/errors/shown-text.ts";
import { Command, InvalidArgumentError } from "commander";
import { isoDateToDay } from "../data/transaction-log.ts";
import { addTransactionLogOptions, transactionLogFromCli } from "../pipelines/log-cli-options.ts";

/**
 * Opens and migrates the decision service's database (where it logs decisions and reads
 * policies), runs `action`, closes it. DATA_DIR's alone missed a DECISION_DATA_DIR kept apart.
 */
export async function withDatabase<T>(action: (db: Database) => Promise<T>): Promise<T> {
  // Loaded when a command opens the database, not when `ml` starts.
  const { createDatabase, decisionDatabaseOptionsFromEnv } = await import(
    "@pp/shared/db/client.ts"
  );
  const handle = await createDatabase(decisionDatabaseOptionsFromEnv(process.env));
  try {
    await handle.migrate();
    return await action(handle.db);
  } finally {
    await handle.close();
  }
}

function isoDate(value: string): string {
  if (Number.isNaN(isoDateToDay(value))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
  }
  return value;
}

export function campaignCommand(): Command {
  const campaign = new Command("campaign").description(
    "measure campaigns against their control groups and learn uplifts",
  );
  const report = campaign
    .command("report")
    .description(
      "per action: treated vs control purchases, spend, incremental profit with 95% intervals, ROI, Qini curve",
    )
    .requiredOption(
      "--campaign <id>",
      "campaign id (as sent to the decision service)",
      storedCampaignId,
    )
    .option("--window-end <date>", "last day of the window (default: last transaction)", isoDate)
    .option("--out <dir>", "directory for campaign.json and campaign.html");
  addTransactionLogOptions(
    report,
    "transactions (the purchases after the decisions; the full log works)",
  ).action(async (o) => {
    const read = transactionLogFromCli(o);
    const { runCampaignReport } = await import("./campaign-report.ts");
    await withDatabase((db) =>
      runCampaignReport({
        db,
        campaign: o.campaign,
        data: read.path,
        format: read.format,
        ...(read.columns ? { columns: read.columns } : {}),
        ...(read.onBadRow ? { onBadRow: read.onBadRow } : {}),
        ...(read.log ? { log: read.log } : {}),
        ...(o.windowEnd ? { windowEnd: o.windowEnd } : {}),
        ...(o.out ? { out: o.out } : {}),
      }),
    );
  });
  campaign
    .command("learn")
    .description(
      "propose the next version of the active policy with the campaign's measured uplifts",
    )
    .requiredOption(
      "--campaign <id>",
      "campaign id (measured with `campaign report`)",
      storedCampaignId,
    )
    .option("--activate", "make the proposed version the active policy")
    .action(async (o) => {
      const { runCampaignLearn } = await import("./campaign-learn.ts");
      await withDatabase((db) =>
        runCampaignLearn({ db, campaign: o.campaign, activate: o.activate === true }),
      );
    });
  return campaign;
}

/** Parses --control-share: a number in [0, 0.5], in plain decimal (Number(" ") is 0: no control). */
export function controlShare(value: string): number {
  const x = plainDecimalFrom(value);
  if (x === null || !(x >= 0 && x <= 0.5))
    throw new InvalidArgumentError(`expected 0..0.5, got "${value}"`);
  return x;
}

/**
 * `--campaign`'s value to measure or learn from: any id the decision log may hold, also one logged
 * before the id rule (such a campaign could be listed but never reported).
 */
export function storedCampaignId(value: string): string {
  if (!isStoredCampaignId(value)) {
    throw new InvalidArgumentError(`${STORED_CAMPAIGN_ID_RULE} (got ${shownText(value)})`);
  }
  return value;
}

/** `--campaign`'s value for a new campaign: an id the decision service takes (campaign-id.ts). */
export function campaignId(value: string): string {
  if (!CAMPAIGN_ID_PATTERN.test(value)) {
    throw new InvalidArgumentError(`${CAMPAIGN_ID_RULE} (got ${shownText(value)})`);
  }
  return value;
}
