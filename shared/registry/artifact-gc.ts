// Garbage collection of the artifact store: registration writes a version's artifacts under a
// fresh prefix `models/<name>/<uuid>` before its transaction commits, so a crash (even kill -9)
// leaves a prefix that no version references. This finds such prefixes and removes them. A prefix
// younger than `minAgeMs` is left alone: it may belong to a registration still in progress. It also
// finds what other killed writes left: a file store's temporary files and `ml train --register`'s
// store probe (`preflight/<uuid>`, written and deleted before training), and the files of a
// version `ml forget` rewrote that its row no longer names (killed before deleting them).
import type { ArtifactObject } from "../artifacts/artifact-store.ts";
import { type ModelRegistry, type ModelVersionInfo, registrationPrefix } from "./model-registry.ts";

export interface GcPrefix {
  /** `models/<name>/<id>`, or the key itself for a probe or an unfinished write. */
  prefix: string;
  /** A "stale revision" is files of a version's prefix that its row no longer names. */
  kind: "registration" | "stale revision" | "preflight probe" | "unfinished write";
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

/** Where `ml train --register` writes (and deletes) its probe of the store. */
export const PREFLIGHT_PREFIX = "preflight/";

/** Unreferenced objects grouped by prefix: registrations, stale revisions, probes, unfinished writes. */
async function unreferencedGroups(
  registry: ModelRegistry,
  referenced: ReadonlyMap<string, ModelVersionInfo[]>,
): Promise<GcPrefix[]> {
  const store = registry.store;
  const groups = new Map<string, GcPrefix>();
  const add = (prefix: string, kind: GcPrefix["kind"], object: ArtifactObject) => {
    const key = `${kind}\u0000${prefix}`;
    const group = groups.get(key) ?? { prefix, kind, objects: [], bytes: 0, newest: new Date(0) };
    group.objects.push(object);
    group.bytes += object.bytes;
    if (object.modified > group.newest) group.newest = object.modified;
    groups.set(key, group);
  };
  const named = new Set(
    [...referenced.values()].flat().flatMap((version) => [...registry.namedKeys(version)]),
  );
  for (const object of await store.listObjects("models/")) {
    const prefix = prefixOf(object.key);
    if (prefix === null) continue;
    if (!referenced.has(prefix)) add(prefix, "registration", object);
    // Replaced by `ml forget`'s rewrite, or written by one that never switched (killed).
    else if (!named.has(object.key)) add(prefix, "stale revision", object);
  }
  for (const object of await store.listObjects(PREFLIGHT_PREFIX))
    add(object.key, "preflight probe", object);
  for (const object of await store.listUnfinishedWrites()) {
    add(object.key, "unfinished write", object);
  }
  return [...groups.values()];
}

export async function planArtifactGc(
  registry: ModelRegistry,
  { minAgeMs, now = new Date() }: { minAgeMs: number; now?: Date },
): Promise<GcPlan> {
  // Versions first: a version committed after this read has a prefix newer than the listing's
  // cut-off only if its registration is younger than minAgeMs, and such prefixes are kept.
  const { referenced, elsewhere } = await versionPrefixes(registry);
  const cutoff = now.getTime() - minAgeMs;
  const unreferenced = await unreferencedGroups(registry, referenced);
  return {
    referenced: referenced.size,
    orphans: unreferenced.filter((g) => g.newest.getTime() <= cutoff),
    young: unreferenced.filter((g) => g.newest.getTime() > cutoff),
    elsewhere,
  };
}

/**
 * The prefixes the registry's versions reference (with those versions), and the versions whose
 * files are elsewhere.
 */
async function versionPrefixes(registry: ModelRegistry) {
  const referenced = new Map<string, ModelVersionInfo[]>();
  const elsewhere: string[] = [];
  for (const version of await registry.listVersions()) {
    try {
      // A version whose files `ml forget` rewrote points at a revision inside its prefix.
      const prefix = registrationPrefix(registry.store.keyFor(version.artifactUri));
      referenced.set(prefix, [...(referenced.get(prefix) ?? []), version]);
    } catch {
      elsewhere.push(`${version.modelName} v${version.version}: ${version.artifactUri}`);
    }
  }
  return { referenced, elsewhere };
}

/** Deletes every object of the plan's orphan prefixes; returns how many objects and prefixes. */
export async function deleteOrphans(
  registry: ModelRegistry,
  plan: GcPlan,
): Promise<{ objects: number; prefixes: number }> {
  let removed = 0;
  let prefixes = 0;
  // Asked again just before: a registration may have committed since the plan was made.
  const { referenced } = await versionPrefixes(registry);
  for (const orphan of plan.orphans) {
    if (orphan.kind === "stale revision") {
      // Under the version's row lock, which a rewrite holds until its switch has committed.
      const ids = (referenced.get(orphan.prefix) ?? []).map((v) => v.id);
      const keys = new Set(orphan.objects.map((o) => o.key));
      removed += await registry.dropUnnamedFiles(orphan.prefix, ids, keys);
      prefixes++;
      continue;
    }
    if (orphan.kind === "registration" && referenced.has(orphan.prefix)) continue;
    for (const object of orphan.objects) {
      await registry.store.delete(object.key);
      removed++;
    }
    prefixes++;
  }
  return { objects: removed, prefixes };
}
