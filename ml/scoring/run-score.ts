// `ml score`: forecasts for every customer of a registered version (or of a log at an as-of date)
// in pages, through the same batch formulas as the forecast service, written to CSV, Parquet or a
// PostgreSQL table with a progress bar; `--shard i/n` scores one of n disjoint parts.

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { postgresUrlProblem } from "@pp/shared/config/parse-env.ts";
import { MAX_HORIZON_DAYS } from "@pp/shared/contracts/forecast-request.ts";
import type { ModelRegistry, ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import cliProgress from "cli-progress";
import { BUNDLE_FILES, type ModelManifest } from "../bundle/model-bundle.ts";
import type { BadRowPolicy } from "../data/bad-rows.ts";
import { dataQualityLines } from "../data/input/data-quality.ts";
import type { LogColumns, LogFormat } from "../data/input/log-input.ts";
import {
  dayToIsoDate,
  isoDateToDay,
  logEndGap,
  purchaseDayRange,
  type TransactionLog,
} from "../data/transaction-log.ts";
import { forecastBatch } from "../forecasting/forecast-batch.ts";
import { type Horizon, horizonInModelUnits } from "../forecasting/horizon.ts";
import { intervalParamsFromManifest } from "../forecasting/interval-params.ts";
import { openRegistryFromEnv } from "../pipelines/open-registry.ts";
import { lastDateOf } from "../pipelines/production-step.ts";
import { type LogReadOptions, logOptionsFor, readLog } from "../pipelines/read-log.ts";
import {
  batchOfPage,
  type CustomerPage,
  copyPages,
  logCustomers,
  logPages,
  registryPages,
  type Shard,
} from "./customer-pages.ts";
import { type ScoreRunFields, scoreColumns } from "./score-columns.ts";
import { csvSink, parquetSink, postgresSink, type ScoreSink } from "./score-sinks.ts";
import { checkedManifest, type ScoringModel, scoringModel } from "./scoring-model.ts";

export interface ScoreOptions {
  model: string;
  /** Default: the production version. */
  version?: number;
  /** FILE.csv or FILE.parquet. */
  out?: string;
  /** postgres://… URL, with `table`. */
  to?: string;
  table?: string;
  /** Score this log at `asOf` instead of the version's stored customers. */
  data?: string;
  /** As `ml train` reads it: csv (TSV, gzip), parquet, json, postgres (through DuckDB) or cdnow. */
  format?: LogFormat;
  /** The DuckDB input layer's options (source, price/order columns, date format, returns…). */
  log?: LogReadOptions;
  columns?: Partial<LogColumns>;
  onBadRow?: BadRowPolicy;
  asOf?: string;
  /** e.g. "52w", "365d". */
  horizon: string;
  discountRate: number;
  shard?: Shard;
  pageSize?: number;
  env?: Record<string, string | undefined>;
  print?: (line: string) => void;
  /** Draw a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /** Interval levels in (0, 1): per model lo/hi columns of purchases, spend and CLV. */
  intervals?: number[];
}

export interface ScoreResult {
  rows: number;
  errors: number;
  seconds: number;
  version: number;
  asOf: string;
  destination: string;
}

/** `52w`, `39 weeks`, `365d` → a horizon; throws a RangeError naming --horizon and what is wrong. */
export function parseHorizon(text: string): Horizon {
  const m = /^\s*([-+]?\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(text);
  if (!m) {
    throw new RangeError(
      `--horizon: expected a number of weeks or days like 52w or 365d, got "${text}"`,
    );
  }
  if (!/^(w|weeks?|d|days?)$/i.test(m[2] as string)) {
    throw new RangeError(
      `--horizon: supported units are weeks (52w, 52 weeks) and days (365d, 365 days), got "${text}"`,
    );
  }
  const value = Number(m[1]);
  // "0w" is a number of weeks: say what is wrong with it, as /forecast does.
  if (!(value > 0)) throw new RangeError(`--horizon: must be > 0, got "${text}"`);
  const unit = (m[2] as string).toLowerCase().startsWith("w") ? "week" : "day";
  if (value * (unit === "week" ? 7 : 1) > MAX_HORIZON_DAYS) {
    throw new RangeError(`--horizon: at most ${MAX_HORIZON_DAYS} days (5 years), got "${text}"`);
  }
  return { value, unit };
}

/** `i/n` with 0 ≤ i < n → a shard; throws a RangeError naming --shard. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !(count >= 1) || !(index < count) || count > 1_000_000) {
    throw new RangeError(`--shard: expected i/n with 0 <= i < n (e.g. 0/4), got "${text}"`);
  }
  return { index, count };
}

async function openSink(options: ScoreOptions): Promise<ScoreSink> {
  const columns = scoreColumns(options.intervals ?? []);
  if (options.to) {
    if (!options.table) throw new RangeError("--to: needs --table NAME");
    if (postgresUrlProblem(options.to)) {
      throw new RangeError(`--to: expected a postgres:// URL, got "${options.to}"`);
    }
    // Every stored customer of the version (no --data, no --shard): the table's rows of the
    // version are then exactly this run's, and a customer erased since (ml forget) leaves it.
    const whole = !options.data && !options.shard;
    return postgresSink(options.to, options.table, columns, { replaceVersion: whole });
  }
  const out = options.out;
  if (!out) throw new RangeError("give --out FILE.csv|FILE.parquet or --to postgres://… --table T");
  // Its folder must be there and writable before any customer is scored (it failed at the end).
  await access(dirname(resolve(out)), constants.W_OK);
  if (/\.parquet$/i.test(out)) return parquetSink(out, columns);
  if (/\.csv$/i.test(out)) return csvSink(out, columns, true);
  throw new RangeError(`--out: expected a .csv or .parquet file, got "${out}"`);
}

function progressBar(enabled: boolean, total: number, print: (line: string) => void) {
  if (enabled) {
    const bar = new cliProgress.SingleBar(
      {
        format: "scoring [{bar}] {value}/{total} customers, {rate}/s",
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: 0 });
    return {
      update: (done: number, rate: number) => bar.update(done, { rate }),
      stop: () => bar.stop(),
    };
  }
  let nextReport = 0.1;
  return {
    update(done: number, rate: number) {
      if (total > 0 && done / total >= nextReport) {
        print(
          `scored ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} customers (${rate.toLocaleString("en-US")}/s)`,
        );
        while (done / total >= nextReport) nextReport += 0.1;
      }
    },
    stop() {},
  };
}

export async function runScore(options: ScoreOptions): Promise<ScoreResult> {
  const print = options.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const horizon = checkedHorizon(options);
  const rateNote = discountRateNote(options.discountRate);
  if (rateNote) print(rateNote);
  const opened = await openRegistryFromEnv(options.env ?? process.env);
  let registryOpen = true;
  let model: ScoringModel | null = null;
  let sink: ScoreSink | null = null;
  try {
    const version = await versionToScore(opened.registry, options);
    const files = await bundleFiles(opened.registry, version);
    let read: ScoredLog | null = null;
    if (options.data) {
      // A log scores without the registry's stored customers: closing it before the log is read
      // gives the embedded store's memory (0.22 GB) back first: with it open, score's peak on a
      // 1.2M-line export was 0.3 GB above train's. The GBDT sessions (0.07 GB) are made after.
      registryOpen = false;
      await opened.close();
      read = await readScoredLog(options, checkedManifest(files), print);
    }
    model = await scoringModel(files);
    const pageSize = options.pageSize ?? 8192;
    const source = read
      ? logSource(read, model, pageSize, options.shard ?? null)
      : await storedPages(options, model, opened.db, version.id, pageSize);
    read = null; // no page needs the log itself
    if (!options.data && source.total === 0) print(noStoredCustomersNote(options.model, version));
    if (source.noAmounts && (model.gammaGamma || model.gbdt)) {
      model = withoutAmounts(model);
      print(NO_AMOUNTS_NOTE);
    }
    sink = await openSink(options);
    const run = runFields(options, horizon, version.version, source.asOf, model);
    const stretched = model.gbdt ? stretchedGbdtNote(model, run.horizonModelUnits) : null;
    if (stretched) print(stretched);
    const counted = await scorePages(model, source, run, sink, options, print);
    const closing = performance.now();
    await sink.close();
    const note = sink.note?.();
    if (note) print(note);
    sink = null;
    const publishing = (performance.now() - closing) / 1000;
    const seconds = counted.seconds + publishing;
    print(
      `scored ${counted.rows.toLocaleString("en-US")} customers of ${options.model} v${version.version} as of ${source.asOf} ` +
        `in ${seconds.toFixed(1)} s (${Math.round(counted.rows / Math.max(seconds, 1e-9)).toLocaleString("en-US")}/s; ` +
        `of which ${publishing.toFixed(1)} s finishing the ${options.to ? "table" : "file"})`,
    );
    return {
      ...counted,
      seconds,
      version: version.version,
      asOf: source.asOf,
      destination: options.to ? `${options.table}` : (options.out as string),
    };
  } finally {
    if (sink) await sink.abort().catch(() => {});
    await model?.release();
    if (registryOpen) await opened.close();
  }
}

/**
 * Why a version's output holds no rows: its stored customers were all erased (`ml forget` bumps
 * customers_revision), or it stored none. A header-only file was written with nothing said.
 */
export function noStoredCustomersNote(
  model: string,
  version: Pick<ModelVersionInfo, "version" | "customersRevision">,
): string {
  const why =
    version.customersRevision > 0
      ? "has no stored customers left: every one was erased since it was registered (ml forget)"
      : "stores no customers: it was registered without any";
  return `${model} v${version.version} ${why}, so the output holds no rows; to score customers from a log, pass --data`;
}

/** The horizon, once the options that need no registry are checked. */
function checkedHorizon(options: ScoreOptions): Horizon {
  const horizon = parseHorizon(options.horizon);
  if (!(options.discountRate >= 0 && options.discountRate <= 10)) {
    throw new RangeError(
      `--discount-rate: expected an annual rate in [0, 10], got ${options.discountRate}`,
    );
  }
  if (options.asOf && !options.data)
    throw new RangeError("--as-of: only with --data (a log to score)");
  return horizon;
}

/**
 * A rate of 100% a year or more is allowed (up to 10) but is more likely a percentage typed as a
 * number: --discount-rate 10 meant as 10% discounts a year's CLV to about 39% of its spend.
 */
function discountRateNote(rate: number): string | null {
  if (rate < 1) return null;
  const percent = (rate * 100).toLocaleString("en-US", { maximumFractionDigits: 4 });
  return (
    `note: --discount-rate ${rate} is ${percent}% a year; the rate is a fraction (0.1 is 10%), ` +
    `so CLV is discounted at ${percent}%`
  );
}

/** --version of --model, else its production version. */
async function versionToScore(
  registry: ModelRegistry,
  options: ScoreOptions,
): Promise<ModelVersionInfo> {
  const version = options.version
    ? await registry.getVersion(options.model, options.version)
    : await registry.getProductionVersion(options.model);
  if (version) return version;
  // A model that is not there at all is named as such (it read "has no production version").
  const missing = await registry.missingModel(options.model);
  if (missing) throw new RangeError(`--model: ${missing}`);
  throw new RangeError(
    options.version
      ? `--version: ${options.model} has no version ${options.version}`
      : `--model: ${options.model} has no production version; give --version`,
  );
}

/** The bundle files scoring needs (the manifest and the GBDTs the version has). */
async function bundleFiles(registry: ModelRegistry, version: ModelVersionInfo) {
  const files = new Map<string, Uint8Array>();
  const { manifest, gbdtCount, gbdtPurchase, gbdtSpend } = BUNDLE_FILES;
  for (const name of [manifest, gbdtCount, gbdtPurchase, gbdtSpend]) {
    if (version.artifacts.some((a) => a.name === name))
      files.set(name, await registry.loadArtifact(version, name));
  }
  return files;
}

/** What every scored row says about its run. */
function runFields(
  options: ScoreOptions,
  horizon: Horizon,
  version: number,
  asOf: string,
  model: ScoringModel,
): ScoreRunFields {
  return {
    model: options.model,
    version,
    asOf,
    horizon: options.horizon.trim(),
    horizonModelUnits: horizonInModelUnits(horizon, model.timeUnit),
    timeUnit: model.timeUnit,
    discountRate: options.discountRate,
    recommended: model.manifest.recommended,
    ...(options.intervals?.length
      ? {
          intervals: {
            levels: options.intervals,
            params: intervalParamsFromManifest(model.manifest),
          },
        }
      : {}),
  };
}

/**
 * A note when --as-of is over a week past the log's last purchase (logEndGap): every customer is
 * scored as if none bought since, which holds only if the log is complete up to --as-of (an
 * export 204 days old scored at today made every customer look lapsed, without a word).
 */
export function staleLogNote(lastPurchase: string, asOf: string): string | null {
  const days = logEndGap(isoDateToDay(lastPurchase), isoDateToDay(asOf));
  if (days === null) return null;
  return (
    `note: the log's last purchase is ${lastPurchase}, ${days.toLocaleString("en-US")} days before --as-of ${asOf}: ` +
    "every customer is scored as if none bought since; if the log ends early, pass a newer export or --as-of " +
    lastPurchase
  );
}

/**
 * An --as-of before the log's first purchase scores nobody: refused as train refuses it (score
 * wrote an empty file and exited 0, so a mistyped year shipped no scores without a word).
 */
function failBeforeFirstPurchase(firstPurchase: string, asOf: string): void {
  if (asOf >= firstPurchase) return;
  throw new RangeError(
    `--as-of ${asOf}: no customer of the log purchased by then (its first purchase is ${firstPurchase})`,
  );
}

/** How far past the GBDT's trained horizon its figures are carried before the note below. */
export const GBDT_STRETCH_NOTE_RATIO = 10;

/**
 * A note when the horizon is over GBDT_STRETCH_NOTE_RATIO times the GBDT's trained one: its
 * figures are carried there by BG/NBD's curve and its intervals keep the dispersion fitted at the
 * trained horizon. On simulated BG/NBD logs scored 39 weeks ahead, a GBDT trained for 1 day (×273)
 * was 18% low in total and its 95% intervals covered 81% of frequent buyers (the blend's 86%);
 * for 1 week (×39) the blend's covered 92%; for 4 weeks (×9.75) all held.
 */
export function stretchedGbdtNote(
  model: Pick<ScoringModel, "trainedHorizon" | "timeUnit">,
  horizon: number,
): string | null {
  const H = model.trainedHorizon;
  if (!(H > 0) || horizon <= GBDT_STRETCH_NOTE_RATIO * H) return null;
  const ratio = Math.round(horizon / H);
  return (
    `note: the gbdt and blend columns were trained for ${Number(H.toPrecision(3))} ${model.timeUnit}s (the holdout's length) and are carried ${ratio}× further by BG/NBD's curve: ` +
    "their figures and intervals are rough this far out (95% intervals covered 81-86% of frequent buyers in a test at 273×); " +
    "use the bgnbd and pareto_nbd columns at this horizon, or train with a holdout closer to it"
  );
}

interface PageSource {
  asOf: string;
  total: number;
  pages: AsyncIterable<CustomerPage> | Iterable<CustomerPage>;
  /** The log scored has no amounts (--amount-col none): every spend read as 0. */
  noAmounts?: boolean;
}

export const NO_AMOUNTS_NOTE =
  "note: the log has no amounts (--amount-col none), and this version was trained with them: " +
  "expected spend and CLV are left empty, and so are the GBDT and blend columns (their features " +
  "include spend); BG/NBD and Pareto/NBD purchases are scored. Pass the log's amount column to score them all";

/**
 * The model without what needs amounts: Gamma-Gamma's spend (with every customer's spend read as
 * 0 it gave each the population's mean: 475 for a customer of 42 purchases) and the GBDTs, whose
 * features include spend. The scorers stay the model's own, released with it.
 */
function withoutAmounts(model: ScoringModel): ScoringModel {
  const manifest = { ...model.manifest, gamma_gamma: null };
  return { ...model, manifest, gammaGamma: null, gbdt: null };
}

/**
 * A full collection where a phase's working set has just become garbage: JavaScriptCore otherwise
 * let it pile up into the next phase (the read of a 1.2M-line log left 0.15-0.25 GB behind, its
 * features 0.1-0.2 GB more), so score's peak ranged 0.71-1.0 GB from run to run; with the two
 * collections, 0.72-0.74 GB, the read's own peak. About 0.2 s each. A no-op off Bun.
 */
function collectGarbage(): void {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
}

/** A log read to score: its purchases and the date its customers are summarised at. */
interface ScoredLog {
  log: TransactionLog;
  asOf: string;
  noAmounts: boolean;
}

/** --data read as train reads it, its account printed, and the as-of date checked against it. */
async function readScoredLog(
  options: ScoreOptions,
  manifest: ModelManifest,
  print: (line: string) => void,
): Promise<ScoredLog> {
  const { log, quality } = await readLog({
    path: options.data as string,
    format: options.format ?? "csv",
    onBadRow: options.onBadRow ?? "skip",
    ...(options.columns ? { columns: options.columns } : {}),
    // A model trained with --ignore-id-case knows its customers lower-cased: score them so.
    ...logOptionsFor(options.log, manifest.data.ids_lower_cased),
  });
  // Train's account and warnings (split ids, currencies, refunds, gaps): a nightly job scoring
  // a fresh export is told what train would say of it, not only the rows skipped.
  for (const line of dataQualityLines(quality)) print(line);
  const last = lastDateOf(log);
  const asOf = options.asOf ?? last;
  failBeforeFirstPurchase(dayToIsoDate(purchaseDayRange(log).first), asOf);
  const gap = staleLogNote(last, asOf);
  if (gap) print(gap);
  collectGarbage(); // the reader's
  return { log, asOf, noAmounts: quality.no_amount === true };
}

/** The pages of a log read to score, its customers summarised and featurised at its as-of date. */
function logSource(
  { log, asOf, noAmounts }: ScoredLog,
  model: ScoringModel,
  pageSize: number,
  shard: Shard | null,
): PageSource {
  const customers = logCustomers(log, model, asOf, shard);
  collectGarbage(); // the features'
  return { asOf, total: customers.rows.length, pages: logPages(customers, pageSize), noAmounts };
}

/** The stored customers of the version, as of its calibration end. */
async function storedPages(
  options: ScoreOptions,
  model: ScoringModel,
  db: Parameters<typeof registryPages>[0],
  versionId: number,
  pageSize: number,
): Promise<PageSource> {
  const shard = options.shard ?? null;
  const databaseUrl = (options.env ?? process.env).DATABASE_URL?.trim() || null;
  const { countCustomerFeatures } = await import("@pp/shared/registry/customer-features.ts");
  const stored = await countCustomerFeatures(db, versionId);
  return {
    asOf: model.manifest.calibration_end,
    total: shard ? Math.ceil(stored / shard.count) : stored,
    // On PostgreSQL one binary COPY streams them; PGlite (embedded) is read in keyset pages.
    pages: databaseUrl
      ? copyPages(databaseUrl, versionId, pageSize, shard)
      : registryPages(db, versionId, pageSize, shard),
  };
}

async function scorePages(
  model: ScoringModel,
  source: PageSource,
  run: ScoreRunFields,
  sink: ScoreSink,
  options: ScoreOptions,
  print: (line: string) => void,
): Promise<{ rows: number; errors: number; seconds: number }> {
  const started = performance.now();
  const bar = progressBar(options.progress ?? process.stderr.isTTY === true, source.total, print);
  let rows = 0;
  let errors = 0;
  let pending: Promise<void> = Promise.resolve();
  const ms = { read: 0, btyd: 0, gbdt: 0, write: 0, wait: 0 };
  let t0 = performance.now();
  try {
    for await (const page of source.pages) {
      const t1 = performance.now();
      ms.read += t1 - t0;
      const batch = batchOfPage(page, model);
      const result = await forecastBatch(model, batch, run.horizonModelUnits, run.discountRate);
      ms.btyd += result.timings.btydMs;
      ms.gbdt += result.timings.gbdtMs;
      for (let i = 0; i < batch.n; i++) if (batch.errors[i]) errors++;
      // The sink writes while the next page is read and scored.
      const t2 = performance.now();
      await pending;
      const t3 = performance.now();
      ms.wait += t3 - t2;
      pending = sink.write({ run, batch, result });
      pending.catch(() => {}); // awaited on the next page; this only marks it handled
      t0 = performance.now();
      ms.write += t0 - t3;
      rows += batch.n;
      const seconds = (performance.now() - started) / 1000;
      bar.update(rows, Math.round(rows / Math.max(seconds, 1e-9)));
    }
    const t4 = performance.now();
    await pending;
    ms.wait += performance.now() - t4;
  } finally {
    bar.stop();
  }
  if (errors > 0) print(`${errors} customers could not be scored (invalid summaries): left out`);
  const sec = (v: number) => (v / 1000).toFixed(2);
  print(
    `time (s): waiting for customers ${sec(ms.read)}, BTYD ${sec(ms.btyd)}, GBDT ${sec(ms.gbdt)}, ` +
      `encoding and handing to ${sink.description.endsWith(".parquet") ? "DuckDB" : "the writer"} ${sec(ms.write)}, waiting for the writer ${sec(ms.wait)}`,
  );
  return { rows: rows - errors, errors, seconds: (performance.now() - started) / 1000 };
}
