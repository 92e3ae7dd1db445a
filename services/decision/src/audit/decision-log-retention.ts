// Decision-log retention: decisions (and parked rows) older than DECISION_LOG_RETENTION_DAYS are
// deleted at start and hourly (sooner after a failure) by every running decision service (two
// instances deleting the same old rows is harmless), and on demand by POST
// /admin/decision-log/prune. Unset: kept for ever.
// Campaign measurements read the decisions of their window: keep the log longer than campaigns run.
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import type { DatabaseProvider } from "../store/lazy-database.ts";

export const RETENTION_DAYS_MAX = 36_500;
const PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Longest wait at stop for a prune's batch under way (a batch takes milliseconds). */
const STOP_WAIT_MS = 5000;

interface RetentionDeps {
  database: DatabaseProvider;
  logger: Logger;
  metrics: MetricsRegistry;
}

export interface PruneResult {
  cutoff: Date;
  decisions: number;
  deadLetters: number;
}

/**
 * The retention's counters, exported at 0 from the start (registered once per registry): rows
 * deleted by table, and prunes that failed (an alert watches these: the log is kept past its
 * retention while they fail).
 */
export function retentionMetrics(metrics: MetricsRegistry) {
  const rows = metrics.counter({
    name: "decision_log_pruned_rows_total",
    help: "Decision-log rows deleted for being older than the retention, by table.",
    labelNames: ["table"],
  });
  for (const table of ["decision_log", "decision_log_dead_letter"]) rows.inc({ table }, 0);
  const failures = metrics.counter({
    name: "decision_log_prune_failures_total",
    help: "Decision-log prunes that failed (retried after 1 s, doubling, at most a minute).",
  });
  return { rows, failures }; // an unlabelled counter is exposed at 0 unasked
}

/**
 * Deletes rows older than `days` (decisions by decided_at, parked rows by failed_at). The counter
 * moves with each committed batch, and a prune that fails half-way logs what it had deleted.
 */
export async function pruneDecisionLog(
  deps: RetentionDeps,
  days: number,
  now = new Date(),
  signal?: AbortSignal,
): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const { rows, failures } = retentionMetrics(deps.metrics);
  const done = { decisions: 0, deadLetters: 0, stoppedEarly: false };
  const fields = () => ({
    older_than_days: days,
    cutoff: cutoff.toISOString(),
    decisions: done.decisions,
    dead_letters: done.deadLetters,
    // The service is stopping: the rest goes at its next start.
    ...(done.stoppedEarly ? { stopped_early: true } : {}),
  });
  try {
    const result = await new DecisionLogRepository(await deps.database()).pruneBefore(cutoff, {
      onDeleted: (batch) => {
        done.decisions += batch.decisions;
        done.deadLetters += batch.deadLetters;
        rows.inc({ table: "decision_log" }, batch.decisions);
        rows.inc({ table: "decision_log_dead_letter" }, batch.deadLetters);
      },
      signal,
    });
    done.stoppedEarly = result.stoppedEarly === true;
  } catch (error) {
    failures.inc();
    deps.logger.warn("decision log prune failed", { ...fields(), error: String(error) });
    throw error;
  }
  deps.logger.info("decision log pruned", fields());
  return { cutoff, decisions: done.decisions, deadLetters: done.deadLetters };
}

/** The wait before the `failures`-th retry of a failed prune: 1 s, doubling, at most a minute. */
export function pruneRetryDelay(failures: number, intervalMs: number): number {
  return Math.min(1000 * 2 ** Math.min(failures, 16), 60_000, intervalMs);
}

/**
 * Prunes at once and every `intervalMs` while the service runs (nothing when `days` is unset). A
 * failed prune (database down) is retried after 1 s, 2 s, … up to a minute, not at the next hourly
 * tick: a prune cut short by an outage finishes soon after the database is back. Returns the stop
 * function, which resolves once a prune under way has finished its batch and logged what it
 * deleted: the service closes its database after it, not in the middle of a batch.
 */
export function startRetention(
  deps: RetentionDeps,
  days: number | undefined,
  intervalMs = PRUNE_INTERVAL_MS,
): () => Promise<void> {
  if (!days) return async () => {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopping = new AbortController();
  let running: Promise<void> = Promise.resolve();
  let failures = 0;
  // One prune at a time: the next one is scheduled when this one has finished.
  const schedule = (ms: number) => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      running = tick();
    }, ms);
    (timer as { unref?: () => void }).unref?.();
  };
  const tick = async () => {
    try {
      await pruneDecisionLog(deps, days, new Date(), stopping.signal);
      failures = 0;
      schedule(intervalMs);
    } catch {
      if (stopping.signal.aborted) return;
      const retryMs = pruneRetryDelay(failures++, intervalMs);
      deps.logger.info("decision log prune retried later", { retry_in_ms: retryMs });
      schedule(retryMs);
    }
  };
  schedule(0);
  return async () => {
    stopping.abort();
    clearTimeout(timer);
    // Bounded: a prune still opening an unreachable database must not hold the exit.
    let bound: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([running, new Promise((r) => (bound = setTimeout(r, STOP_WAIT_MS)))]);
    clearTimeout(bound);
  };
}
