// `ml track`: a registered version's forecasts against the purchases after its cutoff, stored in
// forecast_tracking (and tracking.json / tracking.html with --out).

import type { Command } from "commander";
import { addTransactionLogOptions, transactionLogFromCli } from "../pipelines/log-cli-options.ts";
import { isoDate, modelName, versionNumber } from "./arguments.ts";

export function registerTrackCommand(program: Command): void {
  const track = program
    .command("track")
    .description(
      "compare a registered version's forecasts with the purchases after its cutoff; store the result",
    )
    .requiredOption("--model <name>", "registered model name", modelName)
    .option("--version <n>", "model version (default: the production version)", versionNumber)
    .option("--window-end <date>", "last day of the window (default: last transaction)", isoDate)
    .option("--out <dir>", "directory for tracking.json and tracking.html");
  addTransactionLogOptions(track, "transactions after the cutoff (the full log works too)").action(
    async (o) => {
      const read = transactionLogFromCli(o);
      const { runTrackFromEnv } = await import("../pipelines/track.ts");
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
}
