// Decision-log retention: decisions (and parked rows) older than DECISION_LOG_RETENTION_DAYS are
// deleted at start and hourly by every running decision service (two instances deleting the same
// old rows is harmless), and on demand by POST /admin/decision-log/prune. Unset: kept for ever.
// Campaign measurements read the decisions of their window: keep the log longer than campaigns run.
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import type { DatabaseProvider } from "../store/lazy-database.ts";

export const RETENTION_DAYS_MAX = 36_500;
export const PRUNE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

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

/** The counter of pruned rows, both series at 0 from the start (registered once per registry). */
export function prunedRows(metrics: MetricsRegistry) {
  const rows = metrics.counter({
    name: "decision_log_pruned_rows_total",
    help: "Decision-log rows deleted for being older than the retention, by table.",
    labelNames: ["table"],
  });
  for (const table of ["decision_log", "decision_log_dead_letter"]) rows.inc({ table }, 0);
  return rows;
}

/** Deletes rows older than `days` (decisions by decided_at, parked rows by failed_at). */
export async function pruneDecisionLog(
  deps: RetentionDeps,
  days: number,
  now = new Date(),
): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - days * DAY_MS);
  const pruned = await new DecisionLogRepository(await deps.database()).pruneBefore(cutoff);
  const rows = prunedRows(deps.metrics);
  rows.inc({ table: "decision_log" }, pruned.decisions);
  rows.inc({ table: "decision_log_dead_letter" }, pruned.deadLetters);
  deps.logger.info("decision log pruned", {
    older_than_days: days,
    cutoff: cutoff.toISOString(),
    decisions: pruned.decisions,
    dead_letters: pruned.deadLetters,
  });
  return { cutoff, ...pruned };
}

/**
 * Prunes at once and every `intervalMs` while the service runs (nothing when `days` is unset); a
 * failure (database down) is logged and retried at the next tick. Returns the stop function.
 */
export function startRetention(
  deps: RetentionDeps,
  days: number | undefined,
  intervalMs = PRUNE_INTERVAL_MS,
): () => void {
  if (!days) return () => {};
  let running = false;
  const tick = async () => {
    if (running) return; // a long prune is still deleting: the next tick would only wait
    running = true;
    try {
      await pruneDecisionLog(deps, days);
    } catch (error) {
      deps.logger.warn("decision log prune failed; retried at the next tick", {
        error: String(error),
      });
    } finally {
      running = false;
    }
  };
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, intervalMs);
  for (const t of [first, timer]) (t as { unref?: () => void }).unref?.();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
