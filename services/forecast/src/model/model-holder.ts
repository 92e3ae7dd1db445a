// Holds the model the service answers from behind ONE reference: a request reads `current` once
// and uses that object throughout, so a swap (a newly promoted version) never mixes two models in
// one answer and never drops a request. A poller asks the source for changes; a failed load (bad
// checksum, wrong layout, unreachable registry) is counted and logged, and the old model stays.
// A source that can push changes (the registry on PostgreSQL: LISTEN) triggers a refresh at once;
// polling stays as the safety net.

import type { ReadinessCheck } from "@pp/shared/http/readiness.ts";
import { RepeatedFailure } from "@pp/shared/logging/failure-log.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { LoadedModel } from "./loaded-model.ts";
import { ModelLoadError, type ModelLoadFailure } from "./model-load-error.ts";
import { OneRunAtATime } from "./one-run-at-a-time.ts";

export interface ModelSource {
  /** For logs and /model-info, e.g. "registry (pglite)". */
  readonly description: string;
  /** A cheap fingerprint of what `load` would load now (e.g. version id + checksum). */
  currentKey(): Promise<string>;
  load(): Promise<{ key: string; model: LoadedModel }>;
  /**
   * Optional push: calls `onChange` whenever what `load` would load may have changed, and whenever
   * the source starts listening anew (what changed meanwhile is unknown).
   */
  watch?(onChange: () => void): void;
  /** Optional: why what it serves is not what it is configured for (e.g. a fallback), or null. */
  degradedReason?(): string | null;
}

export type RefreshOutcome = "loaded" | "unchanged" | "failed";

const failureReasons: ModelLoadFailure[] = ["checksum", "invalid", "unavailable"];
/** Requests take milliseconds: a replaced model is released well after the last one finished. */
const RELEASE_DELAY_MS = 30_000;
/**
 * Before the first model: a failed load is tried again after 1 s, doubling up to the poll. A
 * service started while its registry was away (PostgreSQL down) waited for the 30 s poll and
 * stayed 503 for ~20 s after the database returned.
 */
const FIRST_LOAD_RETRY_MS = 1000;
/** A refresh unanswered this long (twice the default poll) makes /ready say so. */
const STUCK_AFTER_MS = 60_000;

export interface ModelHolderDeps {
  logger: Logger;
  metrics: MetricsRegistry;
  /** How long a refresh may go unanswered before /ready reports it (default 60 s). */
  stuckAfterMs?: number;
  /**
   * A refresh unanswered this long is abandoned and the next poll starts a new one (default:
   * never). Workers set it: they cancel background work ~30 s after a request's answer, and the
   * cancelled refresh, never settling, held every later one: the isolate never saw a new version.
   */
  abandonRefreshAfterMs?: number;
  /** How long a replaced model is kept before it is released (default 30 s). */
  releaseDelayMs?: number;
  now?: () => number;
}

/** A replaced model and when it may be released. */
interface Retired {
  model: LoadedModel;
  dueAt: number;
}

export class ModelHolder {
  private model: LoadedModel | null = null;
  /** Replaced models not released yet (a request may still be answering from one). */
  private retired: Retired[] = [];
  private key: string | null = null;
  private readonly refreshes: OneRunAtATime<RefreshOutcome>;
  private timer: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The last refresh's failure, said once (RepeatedFailure), until a refresh succeeds. */
  private readonly failure = new RepeatedFailure();
  /** Between startPolling and stopPolling: signalled changes are acted on. */
  private following = false;
  private watchRegistered = false;
  private readonly failures;
  private readonly versionInfo;
  private readonly loads;
  private readonly releases;
  /** When the refresh under way began, or null: a poll stuck on a lock never fails, only waits. */
  private refreshSince: number | null = null;
  private readonly stuckAfterMs: number;
  private readonly releaseDelayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: ModelSource,
    private readonly deps: ModelHolderDeps,
  ) {
    this.stuckAfterMs = deps.stuckAfterMs ?? STUCK_AFTER_MS;
    this.releaseDelayMs = deps.releaseDelayMs ?? RELEASE_DELAY_MS;
    this.now = deps.now ?? Date.now;
    this.refreshes = new OneRunAtATime((isCurrent) => this.refreshOnce(isCurrent), {
      ...(deps.abandonRefreshAfterMs === undefined
        ? {}
        : { abandonAfterMs: deps.abandonRefreshAfterMs }),
      now: this.now,
    });
    this.failures = deps.metrics.counter({
      name: "model_load_failures_total",
      help: "Model loads that failed (the previous model kept serving), by reason.",
      labelNames: ["reason"],
    });
    for (const reason of failureReasons) this.failures.inc({ reason }, 0);
    this.versionInfo = deps.metrics.gauge({
      name: "model_version_info",
      help: "1 for the model version being served; labels name it.",
      labelNames: ["name", "version"],
    });
    this.loads = deps.metrics.counter({
      name: "model_loads_total",
      help: "Models loaded and swapped in.",
    });
    this.releases = deps.metrics.counter({
      name: "model_releases_total",
      help: "Replaced models released (their engine sessions and memory freed).",
    });
  }

  /** The model to answer with, or null before the first successful load. */
  get current(): LoadedModel | null {
    return this.model;
  }

  /** Why the last load failed, or null (the 503s before a first model name it). */
  get loadFailure(): string | null {
    return this.failure.current;
  }

  get sourceDescription(): string {
    return this.source.description;
  }

  /** Loads the source's model when it differs from the one served; concurrent calls share one run. */
  refresh(): Promise<RefreshOutcome> {
    return this.refreshes.run();
  }

  /** The source says it changed: refresh now, or once more after the refresh under way. */
  private sourceChanged(): void {
    this.refreshes.changed();
  }

  private async refreshOnce(isCurrent: () => boolean): Promise<RefreshOutcome> {
    const since = this.now();
    this.refreshSince = since;
    try {
      return await this.refreshSteps(isCurrent);
    } finally {
      const waited = this.now() - since;
      if (isCurrent()) this.refreshSince = null;
      if (waited > this.stuckAfterMs)
        this.deps.logger.info("model source answered again", { after_ms: Math.round(waited) });
    }
  }

  /** How long the refresh under way has gone unanswered, when past the bound; else null. */
  private unansweredMs(): number | null {
    if (this.refreshSince === null) return null;
    const waited = this.now() - this.refreshSince;
    return waited > this.stuckAfterMs ? waited : null;
  }

  private async refreshSteps(isCurrent: () => boolean): Promise<RefreshOutcome> {
    try {
      if (this.model && (await this.source.currentKey()) === this.key) {
        // The source answers again: no longer degraded; said once, as the failure was.
        const ended = this.failure.recovered();
        if (ended !== null) {
          this.deps.logger.info("model source reachable again; the current model is the latest", {
            after: ended,
          });
        }
        return "unchanged";
      }
      const started = performance.now();
      const { key, model } = await this.source.load();
      if (!isCurrent()) {
        // Abandoned while it loaded (abandonRefreshAfterMs): a newer refresh decides what serves.
        await model.release();
        return "failed";
      }
      this.swap(key, model);
      this.deps.logger.info("model loaded", {
        model: model.identity.name,
        version: model.identity.version,
        source: model.identity.source,
        engine: model.engine.name,
        customers: model.customers.n,
        gbdt: model.gbdt !== null,
        load_ms: Math.round(performance.now() - started),
      });
      return "loaded";
    } catch (error) {
      if (!isCurrent()) return "failed"; // abandoned: a newer refresh's outcome stands
      const reason: ModelLoadFailure = error instanceof ModelLoadError ? error.reason : "invalid";
      const message = error instanceof Error ? error.message : String(error);
      this.failures.inc({ reason });
      // The same failure at every poll is logged once (it wrote a line a second while the
      // database was away); model_load_failures_total counts each.
      if (!this.failure.failed(message)) return "failed";
      const fields = {
        reason,
        error: message,
        serving: this.model
          ? { name: this.model.identity.name, version: this.model.identity.version }
          : null,
      };
      if (this.model)
        this.deps.logger.error("model load refused; the current model keeps serving", fields);
      else this.deps.logger.error("model load failed; not ready", fields);
      return "failed";
    }
  }

  private swap(key: string, model: LoadedModel): void {
    const previous = this.model;
    this.model = model; // the one atomic step
    this.key = key;
    this.failure.recovered(); // "model loaded" says it
    this.loads.inc();
    this.versionInfo.reset();
    this.versionInfo.set({ name: model.identity.name, version: model.identity.version }, 1);
    if (previous && previous !== model) {
      const retired = { model: previous, dueAt: this.now() + this.releaseDelayMs };
      this.retired.push(retired);
      // Bun, Node and Deno: a timer releases it. Workers never run the timer of a request that has
      // ended (0 of 20 released, worker-model-release.test.ts): the Worker calls releaseDue().
      const timer = setTimeout(() => void this.release([retired]), this.releaseDelayMs);
      (timer as { unref?: () => void }).unref?.();
    }
  }

  /**
   * Releases the replaced models whose delay has passed, or answers null when none is due (cheap
   * enough for every request). A request reads `current` once, so none still uses them.
   */
  releaseDue(): Promise<void> | null {
    if (this.retired.length === 0) return null;
    const now = this.now();
    const due = this.retired.filter((r) => r.dueAt <= now);
    return due.length === 0 ? null : this.release(due);
  }

  /** Releases these replaced models, each once (the timer and releaseDue may both reach one). */
  private async release(models: Retired[]): Promise<void> {
    const pending = models.filter((r) => this.retired.includes(r));
    if (pending.length === 0) return;
    this.retired = this.retired.filter((r) => !pending.includes(r));
    this.releases.inc({}, pending.length);
    await Promise.allSettled(pending.map((r) => r.model.release()));
  }

  /**
   * Follows the source: refreshes when it signals a change (if it can) and polls every `intervalMs`
   * (0 = never). The first load is the caller's `refresh()`.
   */
  startPolling(intervalMs: number): void {
    this.stopPolling();
    this.following = true;
    if (!this.watchRegistered) {
      this.watchRegistered = true;
      this.source.watch?.(() => {
        if (this.following) this.sourceChanged();
      });
    }
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
    this.retryFirstLoad(FIRST_LOAD_RETRY_MS, intervalMs);
  }

  stopPolling(): void {
    this.following = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Until a first model is loaded, refreshes after `delayMs`, doubling, while shorter than the poll. */
  private retryFirstLoad(delayMs: number, intervalMs: number): void {
    if (this.model || !this.following || delayMs >= intervalMs) return;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = null;
      await this.refresh();
      this.retryFirstLoad(delayMs * 2, intervalMs);
    }, delayMs);
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  /**
   * Ready once a model is loaded; until then the reason is the last failure or "loading". Degraded
   * while serving a loaded model whose source failed its last refresh (registry down, bad version)
   * or has left a refresh unanswered past the bound (a lock on the registry: it waits, never fails).
   */
  readinessCheck(): ReadinessCheck {
    return {
      name: "model",
      check: async () => {
        const unanswered = this.unansweredMs();
        const problem =
          unanswered !== null
            ? `the model source (${this.source.description}) has not answered for ${Math.round(unanswered / 1000)} s`
            : (this.failure.current ?? this.source.degradedReason?.() ?? null);
        if (!this.model)
          return { ok: false, reason: problem ?? `loading model from ${this.source.description}` };
        if (problem === null) return { ok: true };
        return { ok: true, degraded: true, reason: `serving the loaded model; ${problem}` };
      },
    };
  }
}
