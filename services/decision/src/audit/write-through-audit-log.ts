// The decision log on Workers: each decision's rows are written (and committed) by its own request
// before the decision is answered. A Worker cannot flush a buffer after its response (timers after
// a response never run) nor share a write across requests, so there is no group commit here: a
// write that fails refuses the decision with 503, a row the database refuses for its content is
// moved to the dead-letter table and refused with 422, as with the group-commit log.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import {
  type AmendAnswer,
  type AuditSink,
  amendsOf,
  DecisionLogRefusedError,
  DecisionLogUnavailableError,
  ERASED_ROWS_METRIC,
  erasedOf,
  NOTHING_ERASED,
  type RecordOutcome,
  type SinkOutcome,
} from "./audit-log.ts";
import { isDataError, safeReason } from "./database-errors.ts";
import type { DecisionAudit } from "./decision-audit.ts";

type Count = { inc(labels?: undefined, amount?: number): void };

export class WriteThroughAuditLog implements DecisionAudit {
  readonly pending = 0;
  readonly capacity = 0;
  private lastError: string | undefined;
  private readonly counters: Partial<
    Record<"written" | "failures" | "rejected" | "dead" | "erased", Count>
  >;

  constructor(
    private readonly options: { sink: AuditSink; logger?: Logger; metrics?: MetricsRegistry },
  ) {
    const m = options.metrics;
    this.counters = {
      written: m?.counter({
        name: "decision_log_rows_written_total",
        help: "Decision log rows committed to the database (rows already logged, or about a customer erased since, are skipped and not counted).",
      }),
      failures: m?.counter({
        name: "decision_log_write_failures_total",
        help: "Failed attempts to write decision log rows.",
      }),
      rejected: m?.counter({
        name: "decision_log_rejected_total",
        help: "Decisions (customers) refused with 503 because their record could not be committed, or a read they wait on (a keyed request's stored answer, a campaign's control share) failed.",
      }),
      erased: m?.counter(ERASED_ROWS_METRIC),
      dead: m?.counter({
        name: "decision_log_dead_letter_rows_total",
        help: "Decision log rows the database refused, moved to decision_log_dead_letter.",
      }),
    };
  }

  /** The last write error, until a write succeeds again. */
  get problem(): string | undefined {
    return this.lastError;
  }

  hasRoomFor(): boolean {
    return true;
  }

  countRejected(count: number): void {
    this.counters.rejected?.inc(undefined, count);
  }

  async check(): Promise<{ ok: boolean; reason?: string }> {
    try {
      await this.options.sink.probe();
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `cannot record decisions: ${safeReason(err)}` };
    }
  }

  async record(rows: NewDecisionLogRow[], amend?: AmendAnswer): Promise<RecordOutcome> {
    if (rows.length === 0) return NOTHING_ERASED;
    let outcome: SinkOutcome;
    try {
      outcome = await this.options.sink.write(rows, amendsOf([{ rows, amend }]));
    } catch (err) {
      this.counters.failures?.inc(undefined, 1);
      const reason = safeReason(err);
      if (isDataError(err)) return this.deadLetter(rows, reason);
      this.lastError = reason;
      this.counters.rejected?.inc(undefined, rows.length);
      this.options.logger?.error("decision log write failed; decision refused", { reason });
      throw new DecisionLogUnavailableError("down", `decision log write failed (${reason})`);
    }
    this.lastError = undefined;
    this.counters.written?.inc(undefined, outcome.written);
    this.counters.erased?.inc(undefined, outcome.erased.length);
    return { erased: erasedOf(rows, new Set(outcome.erased)) };
  }

  /** The rows' content was refused: keep them aside (one request's rows, so no splitting). */
  private async deadLetter(rows: NewDecisionLogRow[], reason: string): Promise<never> {
    try {
      await this.options.sink.deadLetter(rows.map((row) => ({ row, reason })));
    } catch (err) {
      throw new DecisionLogUnavailableError(
        "down",
        `dead-letter write failed (${safeReason(err)})`,
      );
    }
    this.counters.dead?.inc(undefined, rows.length);
    this.options.logger?.warn("decision log refused a decision's data; moved to dead letter", {
      reason,
      rows: rows.length,
    });
    throw new DecisionLogRefusedError(reason);
  }

  async drain(): Promise<boolean> {
    return true;
  }

  async close(): Promise<boolean> {
    return true;
  }
}
