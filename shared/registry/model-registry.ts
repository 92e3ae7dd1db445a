// The model registry: versions of named models with their artifacts, training window, params and
// metrics, and the staging → production → archived lifecycle. Registration writes the artifacts
// under a fresh, unique key prefix first and then inserts every row in ONE transaction: the commit
// is the only point at which a version comes to exist, so a crash never leaves half a version.

import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, max, ne, sql } from "drizzle-orm";
import {
  ArtifactNotFoundError,
  type ArtifactStore,
  assertValidArtifactKey,
} from "../artifacts/artifact-store.ts";
import { sha256Hex } from "../artifacts/sha256.ts";
import { connectionLostCode } from "../db/connection-lost.ts";
import type { Database, Transaction } from "../db/database.ts";
import { oneRow } from "../db/one-row.ts";
import {
  type ArtifactEntry,
  type DataWindow,
  type ModelVersionRow,
  models,
  modelVersions,
} from "../db/schema.ts";
import {
  analyzeCustomerFeatures,
  type CustomerFeatureInput,
  type CustomerFeatureRecord,
  CustomerFeaturesRepository,
  writeCustomerFeatures,
} from "./customer-features.ts";
import { isModelName, MODEL_NAME_RULE } from "./model-name.ts";
import {
  ArtifactChecksumError,
  RegistryInputError,
  RegistryNotFoundError,
  RegistryStateError,
} from "./registry-errors.ts";
import { VERSION_FORMAT, versionOrNull } from "./version-number.ts";

/**
 * The database's clock, read after the model row's lock: promotions are ordered by it, and a
 * rollback picks the version promoted last before production. The promoting process's clock
 * put a version promoted from a machine 3 s behind before the one it replaced, and rollback
 * then restored the version before that.
 */
const DATABASE_NOW = sql`clock_timestamp()`;

/**
 * Notified with the model's name, at commit, whenever a model's production version changes
 * (trigger of migration 0004_model_production_notify, so hand-written updates notify too).
 */
export const MODEL_PRODUCTION_CHANNEL = "pp_model_production";

/** A model version row together with its model's name. */
export type ModelVersionInfo = ModelVersionRow & { modelName: string };

export interface ArtifactInput {
  /** File name inside the version, e.g. `gbdt.onnx`, `btyd-params.json`, `report/index.html`. */
  name: string;
  bytes: Uint8Array;
}

export interface RegisterVersionInput {
  artifacts: ArtifactInput[];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  dataWindow: DataWindow;
  timeUnit: string;
  trainedAt: Date | string;
  customerFeatures?: Iterable<CustomerFeatureInput> | AsyncIterable<CustomerFeatureInput>;
  /** Make the new version production (archiving the current one) in the same transaction. */
  promote?: boolean;
}

export type RegisteredVersion = ModelVersionInfo & { customerFeaturesWritten: number };

/** Points at which tests inject a crash into registration. */
export type RegistrationFaultPoint = "afterArtifacts" | "beforeCommit";

export interface ModelRegistryOptions {
  /** Called at each {@link RegistrationFaultPoint}; throwing there simulates a crash. Tests only. */
  faultHook?: (point: RegistrationFaultPoint) => void | Promise<void>;
}

export interface StageChangeOptions {
  /** First check every file of the version to be made production against its checksum. */
  verifyArtifacts?: boolean;
}

export interface PromotionResult {
  promoted: ModelVersionInfo;
  /** The version that was production before, now archived (null if none or unchanged). */
  archived: ModelVersionInfo | null;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MANIFEST_NAME = "manifest.json";

export class ModelRegistry {
  readonly customerFeatures: CustomerFeaturesRepository;

  constructor(
    private readonly db: Database,
    readonly store: ArtifactStore,
    private readonly options: ModelRegistryOptions = {},
  ) {
    this.customerFeatures = new CustomerFeaturesRepository(db);
  }

  /**
   * Registers a new version of `name` (creating the model on first use) and returns it. Versions
   * count up from 1 per model; concurrent registrations get distinct numbers.
   */
  async registerVersion(name: string, input: RegisterVersionInput): Promise<RegisteredVersion> {
    assertModelName(name);
    validateRegistration(input);
    // 1. Artifacts and their manifest go to a prefix no other registration can use.
    const prefix = `models/${name}/${crypto.randomUUID()}`;
    const written: string[] = [];
    try {
      const artifacts = await this.writeArtifacts(name, prefix, input.artifacts, written);
      await this.options.faultHook?.("afterArtifacts");
      // 2. All rows in one transaction; the model row lock serialises version numbering.
      const registered = await this.db.transaction(async (tx) => {
        const rows = await this.insertVersionRows(tx, name, input, prefix, artifacts);
        await this.checkArtifactsStill(prefix, written);
        await this.options.faultHook?.("beforeCommit");
        return rows;
      });
      // 3. Committed; the keys' statistics only make reading the rows back fast, so a failure
      // here leaves the version registered.
      if (registered.customerFeaturesWritten > 0)
        await analyzeCustomerFeatures(this.db, registered.customerFeaturesWritten).catch(() => {});
      return registered;
    } catch (error) {
      // Best effort: nothing references these files. (After a hard kill they stay, unreferenced.)
      // A lost connection may have lost only the COMMIT's reply, the version registered: its
      // files stay then, and `ml gc` deletes them if nothing references them.
      if (connectionLostCode(error) === null) {
        await Promise.allSettled(written.map((key) => this.store.delete(key)));
      }
      throw error;
    }
  }

  /** Stores the artifacts and their manifest under `prefix`; each key is added to `written`. */
  private async writeArtifacts(
    name: string,
    prefix: string,
    artifacts: RegisterVersionInput["artifacts"],
    written: string[],
  ): Promise<{ entries: ArtifactEntry[]; manifestSha256: string }> {
    const entries: ArtifactEntry[] = [];
    for (const artifact of [...artifacts].sort((a, b) => a.name.localeCompare(b.name))) {
      const stored = await this.store.put(`${prefix}/${artifact.name}`, artifact.bytes);
      written.push(stored.key);
      entries.push({
        name: artifact.name,
        uri: stored.uri,
        sha256: stored.sha256,
        bytes: stored.bytes,
      });
    }
    const storedManifest = await this.putManifest(name, prefix, entries);
    written.push(storedManifest.key);
    return { entries, manifestSha256: storedManifest.sha256 };
  }

  private putManifest(name: string, prefix: string, entries: readonly ArtifactEntry[]) {
    const manifest = new TextEncoder().encode(
      `${JSON.stringify({ format: "pp-model-manifest/1", model: name, artifacts: entries }, null, 2)}\n`,
    );
    return this.store.put(`${prefix}/${MANIFEST_NAME}`, manifest);
  }

  /**
   * Rewrites some files of a registered version without overwriting any file its row points at,
   * under the row's lock from the read to the switch: `rewrite` gets the row as it is now and
   * answers the files to replace (null: none). The new files and a new manifest go under a fresh
   * revision prefix inside the version's own (`models/<name>/<uuid>/rev-<uuid>`), ONE row update
   * switches the row to them (artifact_uri, the entries, artifact_sha256), and only after the
   * commit are the replaced files deleted. Killed before the commit, the row still names the old
   * files, intact; killed before the deletes, the old files stay unreferenced (they load nothing;
   * `ml gc` and the next `ml forget` delete them, under the same lock). The lock makes rewrites of
   * one version take turns: each reads what the one before switched to. Without it, six
   * `ml forget`s at once switched over one another (and each swept the others' unswitched files)
   * until some ran out of tries, the customer still named. `rewrite` must not use the database:
   * on the embedded store this transaction holds its one session. Null when nothing was switched
   * (files elsewhere, the row gone, nothing to replace); else the row as switched.
   */
  async rewriteArtifacts(
    version: ModelVersionInfo,
    rewrite: (current: ModelVersionInfo) => Promise<ArtifactInput[] | null>,
  ): Promise<ModelVersionInfo | null> {
    if (!this.holdsArtifacts(version)) return null;
    const written: string[] = [];
    let switched: { before: ModelVersionInfo; after: ModelVersionInfo } | null;
    try {
      switched = await this.db.transaction(async (tx) => {
        const [row] = await tx
          .select()
          .from(modelVersions)
          .where(eq(modelVersions.id, version.id))
          .for("update");
        if (!row) return null;
        const before = { ...row, modelName: version.modelName };
        if (!this.holdsArtifacts(before)) return null;
        // What a rewrite killed before its deletes left, while no rewrite can be under way.
        const prefix = registrationPrefix(this.store.keyFor(before.artifactUri));
        await this.dropUnnamed(prefix, [before]);
        const files = await rewrite(before);
        if (!files || files.length === 0) return null;
        const after = await this.writeRevision(before, files, written);
        await tx
          .update(modelVersions)
          .set({
            artifactUri: after.artifactUri,
            artifacts: after.artifacts,
            artifactSha256: after.artifactSha256,
          })
          .where(eq(modelVersions.id, before.id));
        // An older release's ml gc or ml forget sweeps without waiting for this lock.
        await this.checkArtifactsStill(
          this.store.keyFor(after.artifactUri),
          written,
          "rewrite's",
          "the version keeps its files; run it again",
        );
        return { before, after };
      });
    } catch (error) {
      // As in registration: nothing references these files, unless only the COMMIT's reply was lost.
      if (connectionLostCode(error) === null) {
        await Promise.allSettled(written.map((key) => this.store.delete(key)));
      }
      throw error;
    }
    if (!switched) return null;
    // Committed: nothing names the replaced files now. Best effort: what stays (a failed delete, a
    // kill here) is unreferenced, and the next sweep (ml gc, ml forget) deletes it.
    const kept = this.namedKeys(switched.after);
    const replaced = [...this.namedKeys(switched.before)].filter((key) => !kept.has(key));
    await Promise.allSettled(replaced.map((key) => this.store.delete(key)));
    return switched.after;
  }

  /** Writes `files` and a manifest under a new revision of `version`: the row to switch to. */
  private async writeRevision(
    version: ModelVersionInfo,
    files: readonly ArtifactInput[],
    written: string[],
  ): Promise<ModelVersionInfo> {
    const revision = `${registrationPrefix(this.store.keyFor(version.artifactUri))}/rev-${crypto.randomUUID()}`;
    const entries = [...version.artifacts];
    for (const file of files) {
      const at = entries.findIndex((entry) => entry.name === file.name);
      if (at < 0) throw new RegistryNotFoundError(`no artifact "${file.name}" in this version`);
      const stored = await this.store.put(`${revision}/${file.name}`, file.bytes);
      written.push(stored.key);
      entries[at] = {
        name: file.name,
        uri: stored.uri,
        sha256: stored.sha256,
        bytes: stored.bytes,
      };
    }
    const manifest = await this.putManifest(version.modelName, revision, entries);
    written.push(manifest.key);
    return {
      ...version,
      artifactUri: this.store.uriFor(revision),
      artifacts: entries,
      artifactSha256: manifest.sha256,
    };
  }

  /** The keys of the files a row names: its entries and its manifest. */
  namedKeys(row: Pick<ModelVersionRow, "artifacts" | "artifactUri">): Set<string> {
    return new Set([
      ...row.artifacts.map((e) => this.store.keyFor(e.uri)),
      this.store.keyFor(`${row.artifactUri}/${MANIFEST_NAME}`),
    ]);
  }

  /**
   * Deletes the files in a version's prefix that its row no longer names: what a
   * {@link rewriteArtifacts} killed before its deletes (or before its commit) left. Answers how
   * many. Listed first without the lock: most versions have nothing to drop.
   */
  async dropReplacedArtifacts(version: ModelVersionInfo): Promise<number> {
    if (!this.holdsArtifacts(version)) return 0;
    const prefix = registrationPrefix(this.store.keyFor(version.artifactUri));
    const named = this.namedKeys(version);
    if ((await this.store.list(`${prefix}/`)).every((key) => named.has(key))) return 0;
    return this.dropUnnamedFiles(prefix, [version.id]);
  }

  /**
   * Deletes the files under registration prefix `prefix` that none of the rows `versionIds` (the
   * versions registered there) names, of `only` when given; answers how many. Under those rows'
   * locks, which a rewrite holds from its read to its commit: a revision being written is named by
   * its row by the time this lists, or was never switched to (its writer gone).
   */
  async dropUnnamedFiles(
    prefix: string,
    versionIds: readonly number[],
    only?: ReadonlySet<string>,
  ): Promise<number> {
    if (versionIds.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(modelVersions)
        .where(inArray(modelVersions.id, [...versionIds]))
        .orderBy(asc(modelVersions.id))
        .for("update");
      return this.dropUnnamed(prefix, rows, only);
    });
  }

  /** {@link dropUnnamedFiles}'s deletes, with the rows read (and locked) by the caller. */
  private async dropUnnamed(
    prefix: string,
    rows: ReadonlyArray<Pick<ModelVersionRow, "artifacts" | "artifactUri">>,
    only?: ReadonlySet<string>,
  ): Promise<number> {
    // Gone meanwhile: whatever is left under the prefix is then an orphan registration's, not ours.
    if (rows.length === 0) return 0;
    const keep = new Set(rows.flatMap((row) => [...this.namedKeys(row)]));
    const drop = (await this.store.list(`${prefix}/`)).filter(
      (key) => !keep.has(key) && (only === undefined || only.has(key)),
    );
    for (const key of drop) await this.store.delete(key);
    return drop.length;
  }

  /** The model row (locked), the next version's row and its customer features, in `tx`. */
  private async insertVersionRows(
    tx: Transaction,
    name: string,
    input: RegisterVersionInput,
    prefix: string,
    artifacts: { entries: ArtifactEntry[]; manifestSha256: string },
  ): Promise<RegisteredVersion> {
    await tx.insert(models).values({ name }).onConflictDoNothing({ target: models.name });
    const [model] = await tx.select().from(models).where(eq(models.name, name)).for("update");
    if (!model) throw new RegistryStateError(`model "${name}" vanished during registration`);
    const { current } = oneRow(
      await tx
        .select({ current: max(modelVersions.version) })
        .from(modelVersions)
        .where(eq(modelVersions.modelId, model.id)),
      "latest model version",
    );
    if (input.promote) {
      await tx
        .update(modelVersions)
        .set({ stage: "archived" })
        .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.stage, "production")));
    }
    const inserted = await tx
      .insert(modelVersions)
      .values({
        modelId: model.id,
        version: (current ?? 0) + 1,
        stage: input.promote ? "production" : "staging",
        artifactUri: this.store.uriFor(prefix),
        artifactSha256: artifacts.manifestSha256,
        artifacts: artifacts.entries,
        timeUnit: input.timeUnit,
        calibrationEnd: input.dataWindow.calibrationEnd,
        holdoutEnd: input.dataWindow.holdoutEnd ?? null,
        dataWindow: input.dataWindow,
        params: input.params,
        metrics: input.metrics,
        trainedAt: new Date(input.trainedAt),
        promotedAt: input.promote ? DATABASE_NOW : null,
      })
      .returning();
    const row = oneRow(inserted, "model version insert");
    const customerFeaturesWritten = input.customerFeatures
      ? await writeCustomerFeatures(tx, row.id, input.customerFeatures)
      : 0;
    return { ...row, modelName: name, customerFeaturesWritten };
  }

  /** Makes `version` the production version of `name`, archiving the previous one. */
  async promote(
    name: string,
    version: number,
    options: StageChangeOptions = {},
  ): Promise<PromotionResult> {
    assertVersionNumber(version);
    if (options.verifyArtifacts) {
      const target = await this.getVersion(name, version);
      if (target && target.stage !== "production") await this.assertLoadable(target, "promoted");
    }
    return this.db.transaction(async (tx) => {
      const model = await lockModel(tx, name);
      const [target] = await tx
        .select()
        .from(modelVersions)
        .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.version, version)));
      if (!target) throw new RegistryNotFoundError(`model "${name}" has no version ${version}`);
      if (target.stage === "production") {
        return { promoted: { ...target, modelName: name }, archived: null };
      }
      const archived = await tx
        .update(modelVersions)
        .set({ stage: "archived" })
        .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.stage, "production")))
        .returning();
      const promoted = oneRow(
        await tx
          .update(modelVersions)
          .set({ stage: "production", promotedAt: DATABASE_NOW, rolledBackAt: null })
          .where(eq(modelVersions.id, target.id))
          .returning(),
        "promotion",
      );
      return {
        promoted: { ...promoted, modelName: name },
        archived: archived[0] ? { ...archived[0], modelName: name } : null,
      };
    });
  }

  /**
   * Puts the previous production version back: the current production version is archived and
   * the version promoted most recently before it becomes production again. `promoted_at` keeps the
   * time of the original promotion, so repeated rollbacks walk further back through history; the
   * version rolled back from is marked (`rolled_back_at`), so a later rollback never returns to it
   * unless it was promoted again.
   */
  async rollback(name: string, options: StageChangeOptions = {}): Promise<PromotionResult> {
    // Checked outside the transaction: on the embedded store it would hold every client's session.
    let checked: number | null = null;
    if (options.verifyArtifacts) {
      const { previous } = await rollbackPair(this.db, name, false);
      await this.assertLoadable(previous, "rolled back to");
      checked = previous.id;
    }
    return this.db.transaction(async (tx) => {
      const { current, previous } = await rollbackPair(tx, name, true);
      if (checked !== null && previous.id !== checked) {
        throw new RegistryStateError(
          `model "${name}"'s production version changed while v${previous.version} was being checked; run the rollback again`,
        );
      }
      const archived = oneRow(
        await tx
          .update(modelVersions)
          .set({ stage: "archived", rolledBackAt: DATABASE_NOW })
          .where(eq(modelVersions.id, current.id))
          .returning(),
        "rollback archival",
      );
      const promoted = oneRow(
        await tx
          .update(modelVersions)
          .set({ stage: "production" })
          .where(eq(modelVersions.id, previous.id))
          .returning(),
        "rollback promotion",
      );
      return {
        promoted: { ...promoted, modelName: name },
        archived: { ...archived, modelName: name },
      };
    });
  }

  /** All versions (of one model, or of every model), by model name then newest version first. */
  async listVersions(name?: string): Promise<ModelVersionInfo[]> {
    const rows = await this.db
      .select({ version: modelVersions, modelName: models.name })
      .from(modelVersions)
      .innerJoin(models, eq(models.id, modelVersions.modelId))
      .where(name === undefined ? undefined : eq(models.name, name))
      .orderBy(asc(models.name), desc(modelVersions.version));
    return rows.map((r) => ({ ...r.version, modelName: r.modelName }));
  }

  /** "no model named …" with the models there are, when `name` has no version at all; else null. */
  async missingModel(name: string): Promise<string | null> {
    const rows = await this.db.select({ name: models.name }).from(models).orderBy(asc(models.name));
    const names = rows.map((r) => r.name);
    if (names.includes(name)) return null;
    const known = names.length > 0 ? `models: ${names.join(", ")}` : "no model is registered";
    return `no model named "${name}" (${known})`;
  }

  /** The production version of `name`, or null when there is none. */
  getProductionVersion(name: string): Promise<ModelVersionInfo | null> {
    return readProductionVersion(this.db, name);
  }

  /** One version of `name`, or null. */
  async getVersion(name: string, version: number): Promise<ModelVersionInfo | null> {
    const [row] = await this.db
      .select({ version: modelVersions, modelName: models.name })
      .from(modelVersions)
      .innerJoin(models, eq(models.id, modelVersions.modelId))
      .where(and(eq(models.name, name), eq(modelVersions.version, version)));
    return row ? { ...row.version, modelName: row.modelName } : null;
  }

  /**
   * The bytes of one artifact of a version, after checking them against the recorded sha256.
   * Throws {@link ArtifactChecksumError} on a mismatch: tampered bytes are never returned.
   */
  async loadArtifact(
    version: Pick<ModelVersionRow, "artifacts">,
    artifactName: string,
  ): Promise<Uint8Array> {
    const entry = version.artifacts.find((a) => a.name === artifactName);
    if (!entry) {
      const names = version.artifacts.map((a) => a.name).join(", ");
      throw new RegistryNotFoundError(
        `no artifact "${artifactName}" in this version (has: ${names})`,
      );
    }
    return this.loadVerified(entry.name, entry.uri, entry.sha256);
  }

  /** Checks the manifest and every artifact of a version; throws on the first mismatch. */
  async verifyVersion(
    version: Pick<ModelVersionRow, "artifacts" | "artifactUri" | "artifactSha256">,
  ): Promise<void> {
    await this.loadVerified(
      MANIFEST_NAME,
      `${version.artifactUri}/${MANIFEST_NAME}`,
      version.artifactSha256,
    );
    for (const entry of version.artifacts)
      await this.loadVerified(entry.name, entry.uri, entry.sha256);
  }

  /**
   * Refuses to commit a version whose files went meanwhile: `ml gc --delete --min-age 0` run during
   * a registration took its prefix for an orphan, and the version was promoted without its files
   * (no service could load it; `ml promote` then refused it). Checked last, before the commit.
   */
  private async checkArtifactsStill(
    prefix: string,
    written: readonly string[],
    what = "registration's",
    outcome = "nothing was registered; register again",
  ): Promise<void> {
    const present = new Set(await this.store.list(`${prefix}/`));
    const gone = written.filter((key) => !present.has(key));
    if (gone.length > 0) {
      throw new RegistryStateError(
        `${gone.length} of this ${what} ${written.length} files were deleted from ${this.store.baseUri} before its commit (an ml gc --delete with a small --min-age?): ${outcome}`,
      );
    }
  }

  /** Customer features stored with a version (see {@link CustomerFeaturesRepository.get}). */
  getCustomerFeatures(
    modelVersionId: number,
    customerIds: string[],
  ): Promise<Map<string, CustomerFeatureRecord>> {
    return this.customerFeatures.get(modelVersionId, customerIds);
  }

  /** Whether `version`'s files are in this registry's artifact store (a CLI may be given another). */
  holdsArtifacts(version: Pick<ModelVersionRow, "artifactUri">): boolean {
    try {
      this.store.keyFor(`${version.artifactUri}/${MANIFEST_NAME}`);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Refuses a stage change to a version whose files are gone or changed: no service could load it.
   * Files in another store than this one's are not checked (the caller may say so).
   */
  private async assertLoadable(version: ModelVersionInfo, change: string): Promise<void> {
    if (!this.holdsArtifacts(version)) return;
    try {
      await this.verifyVersion(version);
    } catch (error) {
      if (!(error instanceof ArtifactChecksumError || error instanceof ArtifactNotFoundError))
        throw error;
      throw new RegistryStateError(
        `${version.modelName} v${version.version} was not ${change}: ${error.message}. No service could load it; register it again (ml train … --register) or promote another version (ml models lists them)`,
      );
    }
  }

  private async loadVerified(name: string, uri: string, expected: string): Promise<Uint8Array> {
    const bytes = await this.store.get(this.store.keyFor(uri));
    const actual = await sha256Hex(bytes);
    if (actual !== expected) throw new ArtifactChecksumError(name, uri, expected, actual);
    return bytes;
  }
}

/**
 * The production version of `name` and the one a rollback puts back (promoted most recently
 * before it); `lock` takes the model row's lock first, as every stage change does.
 */
async function rollbackPair(db: Database, name: string, lock: boolean) {
  const model = lock ? await lockModel(db, name) : await findModel(db, name);
  const [current] = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.modelId, model.id), eq(modelVersions.stage, "production")));
  if (!current) {
    throw new RegistryStateError(`model "${name}" has no production version to roll back`);
  }
  const [previous] = await db
    .select()
    .from(modelVersions)
    .where(
      and(
        eq(modelVersions.modelId, model.id),
        ne(modelVersions.id, current.id),
        isNotNull(modelVersions.promotedAt),
        isNull(modelVersions.rolledBackAt),
        current.promotedAt ? lt(modelVersions.promotedAt, current.promotedAt) : sql`true`,
      ),
    )
    .orderBy(desc(modelVersions.promotedAt))
    .limit(1);
  if (!previous) {
    throw new RegistryStateError(
      `model "${name}" has no earlier production version to roll back to (production is v${current.version})`,
    );
  }
  return { current, previous: { ...previous, modelName: name } };
}

async function findModel(db: Database, name: string) {
  const [model] = await db.select().from(models).where(eq(models.name, name));
  if (!model) throw new RegistryNotFoundError(`no model named "${name}"`);
  return model;
}

async function lockModel(tx: Database, name: string) {
  const [model] = await tx.select().from(models).where(eq(models.name, name)).for("update");
  if (!model) throw new RegistryNotFoundError(`no model named "${name}"`);
  return model;
}

/**
 * The prefix a registration wrote a version under, `models/<name>/<uuid>`, from the key of its
 * artifact_uri: that prefix itself, or a revision inside it (`…/rev-<uuid>`, rewriteArtifacts).
 */
export function registrationPrefix(versionKey: string): string {
  return versionKey.split("/").slice(0, 3).join("/");
}

function assertModelName(name: string): void {
  if (!isModelName(name)) throw new RegistryInputError("name", `must be ${MODEL_NAME_RULE}`);
}

function assertVersionNumber(version: number): void {
  if (versionOrNull(version) === null) {
    throw new RegistryInputError("version", `must be ${VERSION_FORMAT}, got ${String(version)}`);
  }
}

function validateRegistration(input: RegisterVersionInput): void {
  if (!Array.isArray(input.artifacts) || input.artifacts.length === 0) {
    throw new RegistryInputError("artifacts", "at least one artifact is required");
  }
  const seen = new Set<string>();
  input.artifacts.forEach((artifact, i) => {
    if (typeof artifact.name !== "string" || artifact.name === MANIFEST_NAME) {
      throw new RegistryInputError(
        `artifacts[${i}].name`,
        `must be a file name other than ${MANIFEST_NAME}`,
      );
    }
    try {
      assertValidArtifactKey(artifact.name);
    } catch (error) {
      throw new RegistryInputError(`artifacts[${i}].name`, (error as Error).message);
    }
    if (seen.has(artifact.name)) {
      throw new RegistryInputError(`artifacts[${i}].name`, `duplicate artifact "${artifact.name}"`);
    }
    seen.add(artifact.name);
    if (!(artifact.bytes instanceof Uint8Array)) {
      throw new RegistryInputError(`artifacts[${i}].bytes`, "must be a Uint8Array");
    }
  });
  for (const [key, value] of Object.entries(input.metrics ?? {})) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RegistryInputError(
        `metrics.${key}`,
        `must be a finite number, got ${String(value)}`,
      );
    }
  }
  const window = input.dataWindow;
  for (const field of ["calibrationStart", "calibrationEnd", "holdoutEnd"] as const) {
    const value = window?.[field];
    if (value === undefined && field !== "calibrationEnd") continue;
    if (typeof value !== "string" || !ISO_DATE.test(value)) {
      throw new RegistryInputError(`dataWindow.${field}`, "must be a date YYYY-MM-DD");
    }
  }
  if (typeof input.timeUnit !== "string" || input.timeUnit.length === 0) {
    throw new RegistryInputError("timeUnit", "is required");
  }
  if (Number.isNaN(new Date(input.trainedAt).getTime())) {
    throw new RegistryInputError("trainedAt", "must be a valid date");
  }
}

/**
 * The production version's query, built once per database handle and run as a named prepared
 * statement: the forecast service polls it, and Drizzle's unnamed statements are parsed and
 * planned on every call (embedded store, one process: 0.46 ms a call, 0.10 ms prepared).
 */
function productionVersionQuery(db: Database) {
  return db
    .select({ version: modelVersions, modelName: models.name })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, sql.placeholder("name")), eq(modelVersions.stage, "production")))
    .prepare("registry_production_version");
}
const productionVersionQueries = new WeakMap<Database, ReturnType<typeof productionVersionQuery>>();

/** The production version of `name`, or null (for readers without an artifact store). */
export async function readProductionVersion(
  db: Database,
  name: string,
): Promise<ModelVersionInfo | null> {
  let query = productionVersionQueries.get(db);
  if (!query) {
    query = productionVersionQuery(db);
    productionVersionQueries.set(db, query);
  }
  const [row] = await query.execute({ name });
  return row ? { ...row.version, modelName: row.modelName } : null;
}

/** Ids of every model version (of every model): the versions a customer's rows may be under. */
export async function allVersionIds(tx: Transaction): Promise<number[]> {
  const rows = await tx.select({ id: modelVersions.id }).from(modelVersions);
  return rows.map((row) => row.id);
}

/** Whether any model version is registered here (a store holding the registry, not decisions alone). */
export async function anyModelVersion(db: Database | Transaction): Promise<boolean> {
  const rows = await db.select({ id: modelVersions.id }).from(modelVersions).limit(1);
  return rows.length > 0;
}

/** Versions whose customer ids were stored lower-cased (`ml train --ignore-id-case`). */
export async function lowerCasedVersionIds(tx: Database | Transaction): Promise<number[]> {
  const rows = await tx
    .select({ id: modelVersions.id })
    .from(modelVersions)
    .where(sql`(${modelVersions.dataWindow} ->> 'idsLowerCased') = 'true'`);
  return rows.map((row) => row.id);
}

/**
 * Marks versions whose stored customers changed (rows erased): a service holding one reloads it,
 * at once on PostgreSQL for a production version (the notify trigger), else at its next poll.
 * Answers the marked versions by model name and number (what an exported bundle is keyed by).
 */
export async function bumpCustomersRevision(
  tx: Transaction,
  modelVersionIds: readonly number[],
): Promise<Array<{ model: string; version: number }>> {
  if (modelVersionIds.length === 0) return [];
  await tx
    .update(modelVersions)
    .set({ customersRevision: sql`${modelVersions.customersRevision} + 1` })
    .where(inArray(modelVersions.id, [...modelVersionIds]));
  return tx
    .select({ model: models.name, version: modelVersions.version })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(inArray(modelVersions.id, [...modelVersionIds]))
    .orderBy(asc(models.name), asc(modelVersions.version));
}
