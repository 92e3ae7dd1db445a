// `ml forget` in the registered versions' own files: a training's metrics.json (`data`) and
// report.html name customers its read warned about (one who stands out, ids that differ only in
// case, an order's repeated total, …); the forgotten ones are written "(erased customer)" there.
import { ArtifactNotFoundError } from "@pp/shared/artifacts/artifact-store.ts";
import { connectionLostCode } from "@pp/shared/db/connection-lost.ts";
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import { storedIdMatcher } from "@pp/shared/registry/forget-customer.ts";
import type {
  ArtifactInput,
  ModelRegistry,
  ModelVersionInfo,
} from "@pp/shared/registry/model-registry.ts";
import { RegistryStateError } from "@pp/shared/registry/registry-errors.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import { visibleId } from "../data/input/customer-id-format.ts";
import type { DataQuality } from "../data/input/data-quality.ts";
import { dataQualityTables } from "../report/data-quality-section.ts";
import { formatCell } from "../report/report-html.ts";

export const ERASED_ID = "(erased customer)";

/**
 * Matches a text that is one of the ids as `version` stored them: in any spelling, and in any
 * letter case only when its ids were read lower-cased (the registry's rule, storedIdMatcher). A
 * case-sensitive version keeps "bob@x.org" as a customer of its own, and so in its report.
 */
function idMatcher(
  customerIds: readonly string[],
  version: Pick<ModelVersionInfo, "dataWindow">,
): (text: string) => boolean {
  const isId = storedIdMatcher(customerIds, version.dataWindow.idsLowerCased === true);
  return (text) => isId(visibleId(text));
}

/** A copy of `value` with every string that is one of the ids replaced, and whether any was. */
function redactIds(value: unknown, isId: (text: string) => boolean): [unknown, boolean] {
  if (typeof value === "string") return isId(value) ? [ERASED_ID, true] : [value, false];
  if (Array.isArray(value)) {
    const items = value.map((item) => redactIds(item, isId));
    return [items.map(([v]) => v), items.some(([, changed]) => changed)];
  }
  if (value === null || typeof value !== "object") return [value, false];
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const [v, c] = redactIds(item, isId);
    out[key] = v;
    changed ||= c;
  }
  return [out, changed];
}

/**
 * The report with its data tables' cells rendered from `before` replaced by those from `after`:
 * the cells are found whole, so an id such as "1" is never replaced inside a number. Null when
 * a cell of `before` is not in the page, or `before` is not a data-quality section this release
 * writes (another release's, the demo model's simulated summary): rendering it threw a TypeError
 * ("undefined is not an object (evaluating 'q.returns.rows')") that left metrics.json unredacted.
 */
export function redactedReport(
  html: string,
  before: DataQuality,
  after: DataQuality,
): string | null {
  const cells = (q: DataQuality) => dataQualityTables(q).flatMap((t) => t.rows.flat());
  let old: ReturnType<typeof cells>;
  let now: ReturnType<typeof cells>;
  try {
    old = cells(before);
    now = cells(after);
  } catch {
    return null;
  }
  let page = html;
  for (let i = 0; i < old.length; i++) {
    const from = `<td>${formatCell(old[i] ?? null)}</td>`;
    const to = `<td>${formatCell(now[i] ?? null)}</td>`;
    if (from === to) continue;
    if (!page.includes(from)) return null;
    page = page.split(from).join(to);
  }
  return page;
}

export interface ReportErasure {
  /** Versions whose metrics.json and report.html no longer name the customers. */
  redacted: Array<{ model: string; version: number }>;
  /** Versions that still name them, and why (files elsewhere, unreadable, another release's report). */
  left: Array<{ model: string; version: number; why: string }>;
}

/** What {@link redactVersion} did to one version's files. */
type VersionRedaction =
  | { kind: "unchanged" }
  | { kind: "redacted" }
  | { kind: "left"; why: string };

/**
 * The database went away while a version's files were being switched: the command stops (a rerun
 * finishes), where it used to go on to report the customers forgotten, exit 0, and warn with the
 * driver's words only ("m v1's training files still name them: write CONNECTION_CLOSED …").
 * Its cause is the driver's error, so connectionLostCode still finds it.
 */
export class ForgetInterruptedError extends Error {
  override name = "ForgetInterruptedError";
}

/** The error that stops the command when `error` is a lost connection at `named`'s switch, else null. */
function interruption(error: unknown, named: { model: string; version: number }) {
  const code = connectionLostCode(error);
  if (code === null) return null;
  const last = errorChain(error).at(-1);
  const words = (last instanceof Error ? last.message : String(last)).split("\n")[0];
  return new ForgetInterruptedError(
    `lost the connection to the database while switching ${named.model} v${named.version}'s files to copies without these customers (${code}: ${words}); whether that switch committed or not, the version loads as it is; run ml forget again with the same ids to finish (it takes them out of the files still naming them)`,
    { cause: error },
  );
}

/** Takes the customers' ids out of every registered version's metrics.json and report.html. */
export async function forgetInReports(
  registry: ModelRegistry,
  customerIds: readonly string[],
): Promise<ReportErasure> {
  const out: ReportErasure = { redacted: [], left: [] };
  for (const version of await registry.listVersions()) {
    const named = { model: version.modelName, version: version.version };
    const isId = idMatcher(customerIds, version);
    const result = await redactRetrying(registry, version, isId).catch(
      (error: unknown): VersionRedaction => {
        const stop = interruption(error, named);
        if (stop) throw stop;
        return { kind: "left", why: error instanceof Error ? error.message : String(error) };
      },
    );
    if (result.kind === "redacted") out.redacted.push(named);
    else if (result.kind === "left") out.left.push({ ...named, why: result.why });
  }
  return out;
}

/**
 * Tries per version. Runs of this release take turns on a version (its row's lock, from the read
 * to the switch); one of an older release, or its ml gc, may still switch or sweep meanwhile.
 */
const ATTEMPTS = 3;

/**
 * {@link redactVersion}, again from the version's row read anew when it changed under it (its
 * switch refused, or the files it read replaced and deleted): without it, the later of two
 * concurrent runs left the version naming its customers, with a warning.
 */
async function redactRetrying(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  isId: (text: string) => boolean,
): Promise<VersionRedaction> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await redactVersion(registry, version, isId);
    } catch (error) {
      const raced = error instanceof RegistryStateError || error instanceof ArtifactNotFoundError;
      if (!raced || attempt >= ATTEMPTS) throw error;
      const now = await registry.getVersion(version.modelName, version.version);
      if (!now) return { kind: "unchanged" };
      version = now;
    }
  }
}

async function redactVersion(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  isId: (text: string) => boolean,
): Promise<VersionRedaction> {
  const has = (name: string) => version.artifacts.some((a) => a.name === name);
  if (!has(BUNDLE_FILES.metrics)) return { kind: "unchanged" };
  // Another store's files (ARTIFACT_STORE_URI not the registration's) cannot be read from here.
  if (!registry.holdsArtifacts(version)) {
    return {
      kind: "left",
      why: `its files are in another artifact store (${version.artifactUri}): run ml forget with that ARTIFACT_STORE_URI`,
    };
  }
  // Read without the row's lock first: most versions name none of the ids. Either way, what an
  // earlier run killed after switching the row left (the replaced files, which name them) is
  // swept: by dropReplacedArtifacts here, or by the rewrite under the row's lock.
  if (!(await namesAny(registry, version, isId))) {
    await registry.dropReplacedArtifacts(version);
    return { kind: "unchanged" };
  }
  let result: VersionRedaction = { kind: "unchanged" };
  // Under the row's lock from the read to the switch: concurrent runs take turns on the version.
  await registry.rewriteArtifacts(version, async (current) => {
    const redaction = await redactedFiles(registry, current, isId);
    result = redaction.result;
    return redaction.files;
  });
  return result;
}

/** Whether the version's metrics.json names one of the ids (true when it was switched meanwhile). */
async function namesAny(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  isId: (text: string) => boolean,
): Promise<boolean> {
  try {
    const bytes = await registry.loadArtifact(version, BUNDLE_FILES.metrics);
    const metrics = JSON.parse(new TextDecoder().decode(bytes)) as { data?: unknown };
    return redactIds(metrics.data, isId)[1];
  } catch (error) {
    if (error instanceof ArtifactNotFoundError) return true;
    throw error;
  }
}

/** The version's metrics.json and report.html without the ids (none when they name none). */
async function redactedFiles(
  registry: ModelRegistry,
  version: ModelVersionInfo,
  isId: (text: string) => boolean,
): Promise<{ files: ArtifactInput[] | null; result: VersionRedaction }> {
  const has = (name: string) => version.artifacts.some((a) => a.name === name);
  if (!has(BUNDLE_FILES.metrics)) return { files: null, result: { kind: "unchanged" } };
  const bytes = await registry.loadArtifact(version, BUNDLE_FILES.metrics);
  const metrics = JSON.parse(new TextDecoder().decode(bytes)) as { data?: DataQuality };
  const [data, changed] = redactIds(metrics.data, isId);
  if (!changed) return { files: null, result: { kind: "unchanged" } };
  const files: ArtifactInput[] = [
    {
      name: BUNDLE_FILES.metrics,
      bytes: new TextEncoder().encode(`${JSON.stringify({ ...metrics, data }, null, 2)}\n`),
    },
  ];
  let page: string | null = "";
  if (has(BUNDLE_FILES.report)) {
    const html = new TextDecoder().decode(
      await registry.loadArtifact(version, BUNDLE_FILES.report),
    );
    page = redactedReport(html, metrics.data as DataQuality, data as DataQuality);
    if (page !== null)
      files.push({ name: BUNDLE_FILES.report, bytes: new TextEncoder().encode(page) });
  }
  // metrics.json is redacted either way; a report laid out otherwise is named, not guessed at.
  return {
    files,
    result:
      page === null
        ? { kind: "left", why: "its report.html is not laid out as this release writes it" }
        : { kind: "redacted" },
  };
}
