// The registry's CLI commands (`ml promote`, `ml rollback`, `ml models`) as plain functions; the ml
// CLI parses arguments and passes a ModelRegistry plus a line printer.

import type { ModelRegistry, ModelVersionInfo, PromotionResult } from "./model-registry.ts";
import { RegistryInputError, RegistryNotFoundError } from "./registry-errors.ts";
import { parseVersionNumber, VERSION_FORMAT, versionOrNull } from "./version-number.ts";

export type PrintLine = (line: string) => void;

/** `ml promote NAME VERSION`: makes VERSION production and says what was archived. */
export async function promoteCommand(
  registry: ModelRegistry,
  name: string,
  version: number | string,
  print: PrintLine = console.log,
): Promise<PromotionResult> {
  const result = await registry.promote(name, parseVersion(version), { verifyArtifacts: true });
  const archived = result.archived ? `; v${result.archived.version} archived` : "";
  print(`${name} v${result.promoted.version} is production${archived}`);
  printUnchecked(registry, result.promoted, print);
  return result;
}

/** `ml rollback NAME`: puts the previous production version back. */
export async function rollbackCommand(
  registry: ModelRegistry,
  name: string,
  print: PrintLine = console.log,
): Promise<PromotionResult> {
  const result = await registry.rollback(name, { verifyArtifacts: true });
  print(
    `${name} rolled back: v${result.promoted.version} is production; v${result.archived?.version} archived`,
  );
  printUnchecked(registry, result.promoted, print);
  return result;
}

/** Says so when the version's files could not be checked: they are in another artifact store. */
function printUnchecked(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  print: PrintLine,
): void {
  if (registry.holdsArtifacts(version)) return;
  print(
    `(its files were not checked: they are in ${version.artifactUri}, not in this ARTIFACT_STORE_URI's store)`,
  );
}

/** `ml models [NAME]`: prints a table of versions, stages and key metrics. */
export async function listModelsCommand(
  registry: ModelRegistry,
  name?: string,
  print: PrintLine = console.log,
  /** Version id → its latest `ml track` results; shown in a TRACKED column when given. */
  tracked?: Map<number, string>,
): Promise<ModelVersionInfo[]> {
  const versions = await registry.listVersions(name);
  // A name with no versions is a typo or another registry: said as rollback says it (exit 1).
  const missing =
    versions.length === 0 && name !== undefined && (await registry.missingModel(name));
  if (missing) throw new RegistryNotFoundError(missing);
  print(
    versions.length === 0 ? "no model versions registered" : formatModelsTable(versions, tracked),
  );
  return versions;
}

/** Metrics shown in the table, most telling first; other metrics fill the remaining slots. */
const KEY_METRICS = ["mae", "rmse", "auc", "log_loss", "wape", "log_likelihood"];
const METRICS_SHOWN = 4;

/** A fixed-width text table: model, version, stage, window, trained, promoted, key metrics. */
export function formatModelsTable(
  versions: ModelVersionInfo[],
  tracked?: Map<number, string>,
): string {
  const header = ["MODEL", "VERSION", "STAGE", "CALIBRATION END", "TRAINED", "PROMOTED", "METRICS"];
  if (tracked) header.push("TRACKED");
  const rows = versions.map((v) => [
    v.modelName,
    String(v.version),
    v.stage,
    v.calibrationEnd,
    formatTime(v.trainedAt),
    v.promotedAt ? formatTime(v.promotedAt) : "-",
    formatMetrics(v.metrics),
    ...(tracked ? [tracked.get(v.id) ?? "-"] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function formatMetrics(metrics: Record<string, number>): string {
  const keys = Object.keys(metrics);
  const preferred = KEY_METRICS.filter((k) => k in metrics);
  const rest = keys.filter((k) => !preferred.includes(k)).sort();
  const shown = [...preferred, ...rest].slice(0, METRICS_SHOWN);
  const text = shown.map((k) => `${k}=${formatNumber(metrics[k] ?? Number.NaN)}`).join(" ");
  return keys.length > shown.length ? `${text} …` : text;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

function formatTime(time: Date): string {
  return time.toISOString().slice(0, 16).replace("T", " ");
}

/** `version` as a version number, else a RegistryInputError naming it (checked before the store opens). */
export function parseVersion(version: number | string): number {
  const n = typeof version === "number" ? versionOrNull(version) : parseVersionNumber(version);
  if (n === null) {
    throw new RegistryInputError(
      "version",
      `must be ${VERSION_FORMAT}, got ${JSON.stringify(version)}`,
    );
  }
  return n;
}
