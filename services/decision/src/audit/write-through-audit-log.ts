// The decision log on Workers: each decision's row is written (and committed) before the decision
// is answered. A Worker cannot flush a buffer after its response (timers after a response never
// run), so a write that fails refuses the decision with 503 instead of answering without a record.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { AuditSink } from "./audit-log.ts";
import type { DecisionAudit } from "./decision-audit.ts";

export class AuditWriteError extends Error {
  override readonly name = "AuditWriteError";
}

export class WriteThroughAuditLog implements DecisionAudit {
  readonly pending = 0;
  readonly capacity = 0;
  private lastError: string | undefined;
  private readonly written?: { inc(labels?: undefined, amount?: number): void };
  private readonly failures?: { inc(labels?: undefined, amount?: number): void };

  constructor(
    private readonly options: { sink: AuditSink; logger?: Logger; metrics?: MetricsRegistry },
  ) {
    const m = options.metrics;
    this.written = m?.counter({
      name: "decision_log_rows_written_total",
      help: "Decision log rows written to the database.",
    });
    this.failures = m?.counter({
      name: "decision_log_write_failures_total",
      help: "Failed attempts to write decision log rows.",
    });
  }

  /** The last write error, until a write succeeds again. */
  get problem(): string | undefined {
    return this.lastError;
  }

  hasRoomFor(): boolean {
    return true;
  }

  /** Resolves once the rows are committed; throws AuditWriteError otherwise. */
  async append(rows: NewDecisionLogRow[]): Promise<void> {
    try {
      await this.options.sink.write(rows);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.failures?.inc(undefined, 1);
      this.lastError = why;
      this.options.logger?.error("decision log write failed; decision refused", { error: why });
      throw new AuditWriteError(`decision log write failed: ${why}`, { cause: err });
    }
    this.lastError = undefined;
    this.written?.inc(undefined, rows.length);
  }

  async drain(): Promise<boolean> {
    return true;
  }

  async close(): Promise<boolean> {
    return true;
  }
}
