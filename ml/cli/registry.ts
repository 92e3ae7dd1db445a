// `ml promote`, `ml rollback`, `ml models`, `ml gc` and `ml forget`: the registry's commands, run against
// the registry the environment names (E's `shared/registry/commands.ts`, loaded when used).

import type { Command } from "commander";
import { openRegistryFromEnv } from "../pipelines/open-registry.ts";

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

async function registryCommands() {
  return import("@pp/shared/registry/commands.ts");
}

export function registerPromoteCommands(program: Command): void {
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
}

export function registerModelsCommand(program: Command): void {
  program
    .command("models")
    .description("list registered model versions")
    .argument("[name]")
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
  program
    .command("forget")
    .description(
      "erase customers: stored summaries under every model version (services reload without them), decisions and parked decision rows",
    )
    .argument("[customer-ids...]")
    .option("--from-file <file>", "also the ids in FILE, one per line (empty lines skipped)")
    .action(async (ids: string[], o: { fromFile?: string }) => {
      const { customerIdsToForget, forgetInChunks } = await import("./forget.ts");
      const customerIds = await customerIdsToForget(ids, o.fromFile);
      const opened = await openRegistryFromEnv();
      try {
        const gone = await forgetInChunks(opened.db, customerIds, console.log);
        console.log(
          `forgot ${customerIds.length} customer(s): ${gone.storedRows} stored row(s) under ${gone.versionIds.length} model version(s) (forecast services reload those versions without these customers), ${gone.decisions} decision(s), ${gone.deadLetters} parked decision row(s). Exported bundles (ml publish) and ml score outputs are outside the database: publish and score again.`,
        );
      } finally {
        await opened.close();
      }
    });
}
