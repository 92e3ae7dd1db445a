// The durable, buffered decision log writer. Decisions are appended to a bounded in-memory
// queue and written to the database in order, in batches, by one flush loop; when the database
// is unreachable the loop retries with backoff and the queue holds the rows. When the queue is
// full `append` throws AuditBufferFullError and the caller answers 503: no decision is returned
// without its record. Writes are idempotent (rows keyed by decision_id), so a retry after an
// ambiguous failure cannot duplicate a row.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";

export interface AuditSink {
  /** Writes the rows durably, or throws (then the same rows are offered again later). */
  write(rows: NewDecisionLogRow[]): Promise<void>;
}

export class AuditBufferFullError extends Error {
  override readonly name = "AuditBufferFullError";
  constructor(
    readonly pending: number,
    readonly capacity: number,
  ) {
    super(`decision log buffer is full (${pending} of ${capacity} rows waiting for the database)`);
  }
}

export interface AuditLogOptions {
  sink: AuditSink;
  /** Most rows held while the database is away. */
  capacity?: number;
  batchSize?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Wait this long after the first new row before writing, to batch concurrent decisions. */
  lingerMs?: number;
  logger?: Logger;
  metrics?: MetricsRegistry;
}

export class BufferedAuditLog {
  private queue: NewDecisionLogRow[] = [];
  private head = 0;
  private flushing: Promise<void> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeRetry: (() => void) | undefined;
  private closed = false;
  private lastError: string | undefined;
  readonly capacity: number;
  private readonly batchSize: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly lingerMs: number;
  private readonly written?: { inc(labels?: undefined, amount?: number): void };
  private readonly failures?: { inc(labels?: undefined, amount?: number): void };
  private readonly rejected?: { inc(labels?: undefined, amount?: number): void };

  constructor(private readonly options: AuditLogOptions) {
    this.capacity = Math.max(1, options.capacity ?? 100_000);
    this.batchSize = Math.max(1, options.batchSize ?? 1000);
    this.retryMinMs = options.retryMinMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.lingerMs = options.lingerMs ?? 5;
    const m = options.metrics;
    if (m) {
      this.written = m.counter({
        name: "decision_log_rows_written_total",
        help: "Decision log rows written to the database.",
      });
      this.failures = m.counter({
        name: "decision_log_write_failures_total",
        help: "Failed attempts to write decision log rows (they are retried).",
      });
      this.rejected = m.counter({
        name: "decision_log_rejected_total",
        help: "Decisions refused with 503 because the decision log buffer was full.",
      });
      const pendingGauge = m.gauge({
        name: "decision_log_buffered_rows",
        help: "Decision log rows waiting to be written.",
      });
      const capacityGauge = m.gauge({
        name: "decision_log_buffer_capacity_rows",
        help: "Most decision log rows the buffer holds.",
      });
      m.onCollect(() => {
        pendingGauge.set(undefined, this.pending);
        capacityGauge.set(undefined, this.capacity);
      });
    }
  }

  /** Rows accepted but not yet written. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** The last write error while rows are waiting, else undefined. */
  get problem(): string | undefined {
    return this.pending > 0 ? this.lastError : undefined;
  }

  /** Whether `count` more rows fit now. */
  hasRoomFor(count: number): boolean {
    return this.pending + count <= this.capacity;
  }

  /** Queues rows for writing; throws AuditBufferFullError (accepting none) when they don't fit. */
  append(rows: NewDecisionLogRow[]): void {
    if (this.closed) throw new Error("decision log is closed");
    if (!this.hasRoomFor(rows.length)) {
      this.rejected?.inc(undefined, 1);
      throw new AuditBufferFullError(this.pending, this.capacity);
    }
    for (const row of rows) this.queue.push(row);
    this.kick();
  }

  /** Resolves once every row appended so far is written (or `timeoutMs` passed: false). */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() >= deadline) return false;
      this.wakeRetry?.(); // retry now rather than after the backoff
      this.kick();
      await Promise.race([
        this.flushing ?? Promise.resolve(),
        new Promise((r) => setTimeout(r, Math.min(50, Math.max(1, deadline - Date.now())))),
      ]);
    }
    return true;
  }

  /** Drains (bounded by `timeoutMs`) and stops the flush loop; returns whether all was written. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const drained = await this.drain(timeoutMs);
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    return drained;
  }

  private kick(): void {
    if (this.flushing || this.pending === 0 || this.closed) return;
    // A short linger gathers the rows of concurrent decisions into one INSERT.
    const linger = new Promise<void>((r) => setTimeout(r, this.lingerMs));
    this.flushing = linger
      .then(() => this.flushLoop())
      .finally(() => {
        this.flushing = null;
        // Rows may have arrived after the loop's last check.
        if (this.pending > 0 && !this.closed) this.kick();
      });
  }

  private async flushLoop(): Promise<void> {
    let backoff = this.retryMinMs;
    while (this.pending > 0 && !this.closed) {
      const batch = this.queue.slice(this.head, this.head + this.batchSize);
      try {
        await this.options.sink.write(batch);
      } catch (err) {
        this.failures?.inc(undefined, 1);
        const why = err instanceof Error ? err.message : String(err);
        if (this.lastError !== why) {
          this.options.logger?.warn("decision log write failed; rows kept for retry", {
            pending: this.pending,
            error: why,
          });
        }
        this.lastError = why;
        await new Promise<void>((resolve) => {
          this.wakeRetry = resolve;
          this.retryTimer = setTimeout(resolve, backoff);
        });
        this.wakeRetry = undefined;
        backoff = Math.min(this.retryMaxMs, backoff * 2);
        continue;
      }
      if (this.lastError !== undefined) {
        this.options.logger?.info("decision log writes recovered", { pending: this.pending });
        this.lastError = undefined;
      }
      backoff = this.retryMinMs;
      this.head += batch.length;
      this.written?.inc(undefined, batch.length);
      // Compact now and then so the queue does not grow without bound.
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
  }
}
