// Test support for the `ml forget` process tests (ml/cli/forget-*.test.ts): a version whose
// metrics.json names customers (its read's warnings), the versions that would fail to load, and
// the files that still name a customer.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";

/** Registers a version of `model` storing `stored` whose metrics.json carries `data` (the read's
 * warnings, naming customers). */
export function registerNamingVersion(
  registry: ModelRegistry,
  model: string,
  data: Record<string, unknown>,
  stored: string[] = ["k1", "k2"],
) {
  const metrics = { holdout_mae: 0.5, data };
  const input = registrationInput(plainCustomers(stored), true);
  input.artifacts.push({
    name: "metrics.json",
    bytes: new TextEncoder().encode(`${JSON.stringify(metrics, null, 2)}\n`),
  });
  return registry.registerVersion(model, input);
}

/** Versions (of `model`, else all) failing the checks the forecast service makes when it loads them. */
export async function unloadableVersions(
  registry: ModelRegistry,
  model?: string,
): Promise<string[]> {
  const failed: string[] = [];
  for (const version of await registry.listVersions(model)) {
    try {
      await registry.verifyVersion(version);
      for (const entry of version.artifacts) await registry.loadArtifact(version, entry.name);
    } catch (error) {
      failed.push(`v${version.version}: ${(error as Error).message}`);
    }
  }
  return failed;
}

/** Files under `dir` whose text holds `text`. */
export function filesNaming(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && readFileSync(join(e.parentPath, e.name), "utf8").includes(text))
    .map((e) => join(e.parentPath, e.name));
}
