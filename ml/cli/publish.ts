// `ml publish` and `ml demo-model`: the forecast service's deploy step (bundle to R2, KV pointer)
// and the demo model seeded when MODEL_NAME has no production version.

import { type Command, InvalidArgumentError } from "commander";
import { modelName } from "./arguments.ts";

export function registerPublishCommand(program: Command): void {
  program
    .command("publish")
    .description("upload a version's bundle to R2 and point the forecast Workers' KV pointer at it")
    .argument("<name>", "registered model name", modelName)
    .argument("[version]", "default: the production version")
    .requiredOption("--target <target>", "where to publish: cloudflare")
    .option("--local", "wrangler's local state (what `wrangler dev` reads), not the account")
    .option("--persist-to <dir>", "wrangler --persist-to directory of `wrangler dev`")
    .option("--config <file>", "wrangler config with the bindings (default: the forecast one)")
    .option(
      "--erased <versions>",
      "instead: take customers erased from these versions (e.g. 2,3) out of the Workers' R2, as `ml forget --republish` does; safe to repeat",
      versionList,
    )
    .option(
      "--follow",
      "keep running: publish the production version whenever it changes (promotion, rollback, UPDATE, erasure) until stopped",
    )
    .option("--interval <seconds>", "with --follow: how often to compare (default 30)")
    .option(
      "--without-customers",
      "publish the model without its stored customers (a Worker isolate has 128 MB; lookups by id then answer unknown_customer)",
    )
    .action(async (name: string, version: string | undefined, o: Record<string, string>) => {
      // Publishing is the forecast service's deploy step: run as its own process, not imported
      // (ml sits upstream of the services).
      const { runForecastPublish } = await import("../pipelines/run-forecast-publish.ts");
      const code = await runForecastPublish(name, version, o);
      if (code !== 0) throw new RangeError(`the forecast publish step failed (exit ${code})`);
    });
}

export function registerDemoModelCommand(program: Command): void {
  program
    .command("demo-model")
    .description(
      "seed the demo model (simulated data, promoted) when MODEL_NAME has no production version; DEMO_MODEL=false skips it",
    )
    .action(async () => {
      const { seedDemoModelFromEnv } = await import("../pipelines/seed-demo-model.ts");
      await seedDemoModelFromEnv();
    });
}

/** `--erased`'s value: version numbers separated by commas (an empty one published as usual). */
function versionList(value: string): string {
  const parts = value.split(",").map((part) => part.trim());
  if (parts.some((part) => !/^[1-9][0-9]{0,8}$/.test(part))) {
    throw new InvalidArgumentError(
      `expected version numbers separated by commas, e.g. 2,3 (got ${JSON.stringify(value)})`,
    );
  }
  return parts.join(",");
}
