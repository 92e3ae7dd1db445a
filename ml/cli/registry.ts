// `ml promote`, `ml rollback`, `ml models`, `ml gc` and `ml forget`: the registry's commands, run against
// the registry the environment names (E's `shared/registry/commands.ts`, loaded when used).

import type { ForgottenCustomers } from "@pp/shared/registry/forget-customer.ts";
import type { Command } from "commander";
import type { OpenRegistry } from "../pipelines/open-registry.ts";
import { modelName } from "./arguments.ts";
import {
  addWorkersTargetOptions,
  checkedTarget,
  publishCommandLine,
  publishToWorkers,
  type WorkersTarget,
} from "./workers-target.ts";

/** Opens the registry from the environment (the database driver is loaded only then). */
async function openRegistryFromEnv(): Promise<OpenRegistry> {
  const { openRegistryFromEnv: open } = await import("../pipelines/open-registry.ts");
  return open();
}

/** Opens the registry from the environment, runs `action`, closes it. */
async function withRegistry<T>(
  action: (registry: OpenRegistry["registry"]) => Promise<T>,
): Promise<T> {
  const opened = await openRegistryFromEnv();
  try {
    return await action(opened.registry);
  } finally {
    await opened.close();
  }
}

async function registryCommands() {
  return import("@pp/shared/registry/commands.ts");
}

export function registerPromoteCommands(program: Command): void {
  const promote = program
    .command("promote")
    .description("make VERSION the production version of NAME")
    .argument("<name>", "registered model name", modelName)
    .argument("<version>")
    .option("--publish <target>", "then publish it to the forecast Workers: cloudflare");
  addWorkersTargetOptions(promote, "--publish").action(
    async (name: string, version: string, o: WorkersTarget & { publish?: string }) => {
      const target = checkedTarget("--publish", o.publish);
      const { promoteCommand, parseVersion } = await registryCommands();
      // Checked first: a mistyped version exits 2 without opening (or creating) the store.
      const checked = parseVersion(version);
      await withRegistry((registry) => promoteCommand(registry, name, checked));
      if (target) await publishToWorkers(name, "the promotion is done in the registry", o);
    },
  );

  const rollback = program
    .command("rollback")
    .description("put the previous production version of NAME back")
    .argument("<name>", "registered model name", modelName)
    .option("--publish <target>", "then publish it to the forecast Workers: cloudflare");
  addWorkersTargetOptions(rollback, "--publish").action(
    async (name: string, o: WorkersTarget & { publish?: string }) => {
      const target = checkedTarget("--publish", o.publish);
      const { rollbackCommand } = await registryCommands();
      await withRegistry((registry) => rollbackCommand(registry, name));
      if (target) await publishToWorkers(name, "the rollback is done in the registry", o);
    },
  );
}

export function registerModelsCommand(program: Command): void {
  program
    .command("models")
    .description("list registered model versions")
    .argument("[name]", "only this model", modelName)
    .action(async (name?: string) => {
      const { listModelsCommand } = await registryCommands();
      const { trackingByVersion } = await import("../tracking/tracking-by-version.ts");
      const opened = await openRegistryFromEnv();
      try {
        const tracked = await trackingByVersion(opened.db);
        await listModelsCommand(opened.registry, name, console.log, tracked);
      } finally {
        await opened.close();
      }
    });
}

export function registerGcCommand(program: Command): void {
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
}

export function registerForgetCommand(program: Command): void {
  const forget = program
    .command("forget")
    .description(
      "erase customers: stored summaries under every model version (services reload without them), decisions and parked decision rows",
    )
    .argument("[customer-ids...]")
    .option("--from-file <file>", "also the ids in FILE, one per line (empty lines skipped)")
    .option(
      "--republish <target>",
      "then publish again the bundle the forecast Workers serve when it held them: cloudflare",
    );
  addWorkersTargetOptions(forget, "--republish").action(
    async (ids: string[], o: WorkersTarget & { fromFile?: string; republish?: string }) => {
      const target = checkedTarget("--republish", o.republish);
      const forgetting = await import("./forget.ts");
      const customerIds = await forgetting.customerIdsToForget(ids, o.fromFile, console.log);
      const { gone, reports, scoreTables } = await forgetting.forgetFromEnv(
        customerIds,
        console.log,
      );
      reportReports(reports);
      for (const { table, rows } of scoreTables) {
        console.log(`erased ${rows} row(s) of ml score table ${table}`);
      }
      // A Worker built with its model bundled (wrangler.lite.toml) keeps its copy until deployed.
      const bundled =
        " A forecast Worker deployed with its model bundled (wrangler.lite.toml, MODEL_SOURCE=bundled) serves them until deployed again.";
      const outside = o.republish
        ? `ml score files, and ml score tables in other databases, are outside it: score again.${bundled}`
        : `Exported bundles (ml publish), ml score files and ml score tables in other databases are outside it: publish (or pass --republish) and score again.${bundled}`;
      console.log(
        `forgot ${customerIds.length} customer(s): ${gone.storedRows} stored row(s) under ${gone.versionIds.length} model version(s) (forecast services reload those versions without these customers), ${gone.decisions} decision(s), ${gone.deadLetters} parked decision row(s). ${outside}`,
      );
      const { customers: already, lastAt } = gone.forgottenBefore;
      if (already > 0) {
        // A rerun of a run that landed (killed, or its connection cut after COMMIT) finds 0 rows.
        console.log(
          `note: ${already} of these ${customerIds.length} customer(s) had been forgotten already: an ml forget at ${lastAt?.toISOString()} erased what was stored about them`,
        );
      } else if (gone.storedRows + gone.decisions + gone.deadLetters === 0) {
        console.log(
          "note: nothing was stored about these ids; if they are customers, check their spelling, letter case and the file's encoding",
        );
      }
      if (target) await republishForgotten(gone, o);
    },
  );
}

/** What `ml forget` did to the versions' metrics.json and report.html, when they named the customers. */
function reportReports(done: import("./forget-reports.ts").ReportErasure): void {
  const named = (vs: Array<{ model: string; version: number }>) =>
    vs.map((v) => `${v.model} v${v.version}`).join(", ");
  if (done.redacted.length > 0) {
    console.log(
      `took their ids out of the metrics.json and report.html of ${named(done.redacted)}`,
    );
  }
  for (const v of done.left) {
    console.log(`warning: ${v.model} v${v.version}'s training files still name them: ${v.why}`);
  }
}

/** For each model that held the customers, the publish step republishes what the Workers serve. */
async function republishForgotten(gone: ForgottenCustomers, o: WorkersTarget): Promise<void> {
  const byModel = new Map<string, number[]>();
  for (const v of gone.versions) byModel.set(v.model, [...(byModel.get(v.model) ?? []), v.version]);
  for (const [name, versions] of byModel) {
    // Said first, so an operator whose run is killed knows how to finish it.
    console.log(
      `${name}: taking them out of the Workers' bundles of v${versions.join(", v")}; if this is interrupted, run \`${publishCommandLine(name, o, versions)}\` (safe to repeat)`,
    );
    await publishToWorkers(name, "the erasure is done in the database", o, versions);
  }
}
