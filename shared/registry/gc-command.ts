// `ml gc [--delete] [--min-age 1h]`: lists the artifact prefixes that no model version references,
// and what killed writes left (probes, temporary files, files of a version `ml forget` rewrote that
// its row no longer names), a dry run by default; with --delete it removes them. Refuses to delete when versions exist but none of them is in this store
// (ARTIFACT_STORE_URI is then probably not the registry's store), and registrations when the
// registry has no version in it (probably not the registry that wrote them).
import { deleteOrphans, type GcPrefix, planArtifactGc } from "./artifact-gc.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { RegistryStateError } from "./registry-errors.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "0", "90s", "15m", "1h", "7d" → milliseconds; throws a RangeError naming the option. */
export function parseMinAge(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match)
    throw new RangeError(`--min-age: expected e.g. 0, 90s, 15m, 1h or 7d, got "${value}"`);
  return Number(match[1]) * (UNITS[match[2] || "s"] ?? Number.NaN);
}

const line = (g: GcPrefix, now: Date) =>
  `${g.prefix}\t${g.objects.length} objects\t${g.bytes} bytes\t` +
  `${Math.round((now.getTime() - g.newest.getTime()) / 60_000)} min old` +
  (g.kind === "registration" ? "" : `\t(${g.kind})`);

/** "; 1 preflight probe, 2 unfinished writes" when there are any of those kinds. */
function otherKinds(orphans: GcPrefix[]): string {
  const counts = new Map<string, number>();
  for (const g of orphans)
    if (g.kind !== "registration") counts.set(g.kind, (counts.get(g.kind) ?? 0) + 1);
  const parts = [...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? "" : "s"}`);
  return parts.length > 0 ? `; ${parts.join(", ")}` : "";
}

export async function gcCommand(
  registry: ModelRegistry,
  options: { delete: boolean; minAgeMs: number },
  print: (s: string) => void = console.log,
): Promise<void> {
  const now = new Date();
  const plan = await planArtifactGc(registry, { minAgeMs: options.minAgeMs, now });
  const store = registry.store.baseUri;
  for (const g of plan.orphans) print(line(g, now));
  const bytes = plan.orphans.reduce((s, g) => s + g.bytes, 0);
  print(
    `${store}: ${plan.orphans.length} unreferenced prefixes (${bytes} bytes${otherKinds(plan.orphans)}), ` +
      `${plan.referenced} referenced by versions, ${plan.young.length} younger than --min-age kept`,
  );
  if (plan.elsewhere.length > 0) {
    print(`versions whose artifacts are in another store:\n  ${plan.elsewhere.join("\n  ")}`);
  }
  if (!options.delete) {
    if (plan.orphans.length > 0) print("dry run: pass --delete to remove them");
    return;
  }
  if (plan.referenced === 0 && plan.elsewhere.length > 0) {
    throw new RegistryStateError(
      `not deleting: ${plan.elsewhere.length} versions point outside ${store}; ` +
        "set ARTIFACT_STORE_URI to the store the registry uses",
    );
  }
  // A registry without a version in this store does not know the store's registrations: an empty
  // one (a forgotten DATABASE_URL, a mistyped DATA_DIR, a new database) took every version's files
  // for orphans, and deleted the whole store. What killed writes left (probes, temporary files)
  // is safe to delete whichever registry wrote it.
  const registrations = plan.orphans.filter((g) => g.kind === "registration");
  if (plan.referenced === 0 && registrations.length > 0) {
    throw new RegistryStateError(
      `not deleting: no model version of this registry is in ${store}, so its ${registrations.length} ` +
        "registrations may be another registry's (an empty registry: a forgotten DATABASE_URL or " +
        "another DATA_DIR); point DATABASE_URL / DATA_DIR at the registry that wrote them, or " +
        "delete the prefixes by hand if no registry uses them",
    );
  }
  const removed = await deleteOrphans(registry, plan);
  print(`deleted ${removed.objects} objects in ${removed.prefixes} prefixes`);
}
