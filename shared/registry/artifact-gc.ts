// Garbage collection of the artifact store: registration writes a version's artifacts under a
// fresh prefix `models/<name>/<uuid>` before its transaction commits, so a crash (even kill -9)
// leaves a prefix that no version references. This finds such prefixes and removes them. A prefix
// younger than `minAgeMs` is left alone: it may belong to a registration still in progress.
import type { ArtifactObject } from "../artifacts/artifact-store.ts";
import type { ModelRegistry } from "./model-registry.ts";

export interface GcPrefix {
  prefix: string;
  objects: ArtifactObject[];
  bytes: number;
  newest: Date;
}

export interface GcPlan {
  /** Prefixes referenced by a version (any stage), kept. */
  referenced: number;
  /** Unreferenced prefixes old enough to remove. */
  orphans: GcPrefix[];
  /** Unreferenced prefixes younger than the minimum age (maybe a registration in progress). */
  young: GcPrefix[];
  /** Version URIs that point outside this store (another ARTIFACT_STORE_URI). */
  elsewhere: string[];
}

/** Registration's layout: `models/<name>/<id>/<file...>`. */
function prefixOf(key: string): string | null {
  const parts = key.split("/");
  return parts.length >= 4 && parts[0] === "models" ? parts.slice(0, 3).join("/") : null;
}

export async function planArtifactGc(
  registry: ModelRegistry,
  { minAgeMs, now = new Date() }: { minAgeMs: number; now?: Date },
): Promise<GcPlan> {
  const store = registry.store;
  // Versions first: a version committed after this read has a prefix newer than the listing's
  // cut-off only if its registration is younger than minAgeMs, and such prefixes are kept.
  const versions = await registry.listVersions();
  const referenced = new Set<string>();
  const elsewhere: string[] = [];
  for (const version of versions) {
    try {
      referenced.add(store.keyFor(version.artifactUri));
    } catch {
      elsewhere.push(`${version.modelName} v${version.version}: ${version.artifactUri}`);
    }
  }
  const groups = new Map<string, GcPrefix>();
  for (const object of await store.listObjects("models/")) {
    const prefix = prefixOf(object.key);
    if (prefix === null || referenced.has(prefix)) continue;
    const group = groups.get(prefix) ?? { prefix, objects: [], bytes: 0, newest: new Date(0) };
    group.objects.push(object);
    group.bytes += object.bytes;
    if (object.modified > group.newest) group.newest = object.modified;
    groups.set(prefix, group);
  }
  const cutoff = now.getTime() - minAgeMs;
  const unreferenced = [...groups.values()];
  return {
    referenced: referenced.size,
    orphans: unreferenced.filter((g) => g.newest.getTime() <= cutoff),
    young: unreferenced.filter((g) => g.newest.getTime() > cutoff),
    elsewhere,
  };
}

/** Deletes every object of the plan's orphan prefixes; returns how many objects were removed. */
export async function deleteOrphans(registry: ModelRegistry, plan: GcPlan): Promise<number> {
  let removed = 0;
  for (const orphan of plan.orphans) {
    for (const object of orphan.objects) {
      await registry.store.delete(object.key);
      removed++;
    }
  }
  return removed;
}
