// The decision log writer with group commit: `record(rows)` resolves only once the rows are
// committed to the database, so a decision is never answered before its record is durable.
// Concurrent decisions share one INSERT: while one write is in flight, new rows gather and go in
// the next. When the rows cannot be committed within `commitTimeoutMs` (or the database is known
// to be down, or too many rows wait), `record` rejects with DecisionLogUnavailableError and the
// caller answers 503. A row the database refuses for its content (NUL, a lone surrogate) is
// isolated by splitting its group, moved to the dead-letter sink and its request is rejected with
// DecisionLogRefusedError; the rows around it are written. Writes are idempotent (keyed by
// decision_id), so re-sending a group whose commit was not acknowledged cannot duplicate a row.
// Rows the log skipped because their customer was erased since they were decided are named in
// `record`'s outcome, so those decisions are refused rather than answered as logged.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import type { AmendKeptAnswers, KeptAnswer } from "@pp/shared/registry/decision-log.ts";
import { isDataError, isNoDatabase, safeReason } from "./database-errors.ts";

export interface AuditSink {
  /**
   * Commits the rows (all or none), or throws; resolves to the rows written (a decision already
   * logged, re-sent or sent to two processes under one key, or about a customer erased since, is
   * skipped and not counted) and the ids (lower case) of those skipped because their customer
   * was erased. `amend`: the answers keyed requests keep instead, given those ids (lower case too),
   * written in the same commit.
   */
  write(rows: NewDecisionLogRow[], amend?: AmendKeptAnswers): Promise<SinkOutcome>;
  /** Stores rows the database refused, without their content being interpreted. */
  deadLetter(entries: DeadLetter[]): Promise<void>;
  /** Resolves when the database answers (used to notice it is back while nothing is queued). */
  probe(): Promise<void>;
}

/** What a sink's write did (decision-log.ts AppendOutcome). */
export interface SinkOutcome {
  written: number;
  /** Decision ids (lower case) of rows skipped because their customer was erased since they were
   * decided. */
  erased: readonly string[];
}

/** What `record` tells its caller: which of its rows the log skipped for an erasure (by decision
 * id, lower case); every other row is committed. */
export interface RecordOutcome {
  erased: ReadonlySet<string>;
}

/** The rows of `rows` among `erased` (ids compared in lower case, as the database prints them). */
export function erasedOf(rows: readonly NewDecisionLogRow[], erased: ReadonlySet<string>) {
  const ids = new Set<string>();
  if (erased.size === 0) return ids;
  for (const row of rows) {
    const id = row.decisionId.toLowerCase();
    if (erased.has(id)) ids.add(id);
  }
  return ids;
}

export const NOTHING_ERASED: RecordOutcome = { erased: new Set() };

/**
 * A keyed request's answer as its answer row is to keep it once `erased` (its own rows, by
 * decision id, lower case) were skipped; null: nothing to keep (the answer row itself was skipped).
 */
export type AmendAnswer = (erased: ReadonlySet<string>) => KeptAnswer | null;

/** The sink's `amend` for the requests whose rows go in one write (undefined when none amends). */
export function amendsOf(
  requests: ReadonlyArray<{ rows: readonly NewDecisionLogRow[]; amend?: AmendAnswer }>,
): AmendKeptAnswers | undefined {
  if (!requests.some((r) => r.amend)) return undefined;
  return (ids) => {
    const erased = new Set(ids);
    return requests.flatMap(({ rows, amend }) => {
      const own = amend ? erasedOf(rows, erased) : new Set<string>();
      const kept = own.size > 0 ? amend?.(own) : null;
      return kept ? [kept] : [];
    });
  };
}

/** decision_log_erased_rows_total, as both decision logs register it. */
export const ERASED_ROWS_METRIC = {
  name: "decision_log_erased_rows_total",
  help: "Decision log rows skipped because their customer was erased moments ago (decided within the erasure's second): those decisions were refused (409), not answered 200.",
};

interface DeadLetter {
  row: NewDecisionLogRow;
  /** SQLSTATE or error class, never the statement or its parameters. */
  reason: string;
}

/** The rows could not be made durable in time: answer 503, nothing was decided. */
export class DecisionLogUnavailableError extends Error {
  override readonly name = "DecisionLogUnavailableError";
  constructor(
    readonly why: "full" | "down" | "timeout" | "closed",
    message: string,
  ) {
    super(message);
  }
}

/** The database refused the content of these rows; they are in the dead-letter table. */
export class DecisionLogRefusedError extends Error {
  override readonly name = "DecisionLogRefusedError";
  constructor(readonly reason: string) {
    super(`the decision log refused this decision's data (${reason})`);
  }
}

/** Rows one deadline covers: a larger record or write (a batch of 10,000) gets one per this many,
 * so its size is not taken for a slow database (the log's inserts are 1,000 rows each). */
const ROWS_PER_DEADLINE = 1000;
/** A deadline of `ms` for every (started) 1,000 rows. */
export const scaledDeadline = (ms: number, rows: number) =>
  ms * Math.max(1, Math.ceil(rows / ROWS_PER_DEADLINE));

/**
 * Free bytes below which the store's disk counts as full. A read-only probe (`select 1`) answers on
 * a full disk, so without this /ready said ready between two failed writes, and traffic came back.
 */
export const MIN_FREE_DISK_BYTES = 1024 * 1024;

/** What a probe fails with on a full disk: the SQLSTATE a write there gets (53100 disk_full). */
class DiskFullError extends Error {
  readonly code = "53100";
  constructor(free: number) {
    super(`the store's disk has ${free} bytes free`);
  }
}

class AttemptTimeoutError extends Error {
  override readonly name = "AttemptTimeoutError";
  readonly code = "TIMEOUT";
  constructor(ms: number) {
    super(`database did not answer within ${ms} ms`);
  }
}

export interface AuditLogOptions {
  sink: AuditSink;
  /** Most rows waiting for a commit; past it `record` rejects at once. */
  capacity?: number;
  /** Longest a request waits for its rows to commit. */
  commitTimeoutMs?: number;
  /** Most rows per group (one transaction). */
  batchSize?: number;
  /** Pause between attempts while the database is down (it is noticed back within this). */
  retryMs?: number;
  /** Longest one write or probe may take before it counts as failed. */
  attemptTimeoutMs?: number;
  /** Bytes free on the store's disk (the embedded store's entry passes it; undefined: unknown). */
  freeDiskBytes?: () => number | undefined;
  logger?: Logger;
  metrics?: MetricsRegistry;
}

interface Waiter {
  rows: NewDecisionLogRow[];
  amend?: AmendAnswer;
  resolve(outcome: RecordOutcome): void;
  reject(err: Error): void;
  settled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When it was queued, and when its deadline falls (performance.now()). */
  since: number;
  expiresAt: number;
  /** Its rows went in a group once (a retry after a failed write gets no more time). */
  sent: boolean;
}

/** How long /ready waits for a database probe before saying it is not answering. */
const CHECK_WAIT_MS = 500;

type Count = { inc(labels?: undefined, amount?: number): void };

export class BufferedAuditLog {
  private queue: Waiter[] = [];
  private queuedRows = 0;
  private inFlight: Waiter[] = [];
  private running: Promise<void> | null = null;
  private wake: (() => void) | undefined;
  private closed = false;
  private downSince: number | undefined;
  private lastError: string | undefined;
  /** Whether a write or probe has ever succeeded, and when the log was made (see downFor). */
  private everWritten = false;
  private readonly startedAt = Date.now();
  /** The runtime has no database at all (Workers today): no retries. */
  private permanent = false;
  private probing: Promise<boolean> | null = null;
  readonly capacity: number;
  private readonly commitTimeoutMs: number;
  private readonly batchSize: number;
  private readonly retryMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly counters: Partial<
    Record<"written" | "commits" | "failures" | "rejected" | "deadLettered" | "erased", Count>
  > = {};

  constructor(private readonly options: AuditLogOptions) {
    this.capacity = Math.max(1, options.capacity ?? 100_000);
    this.commitTimeoutMs = options.commitTimeoutMs ?? 2000;
    this.batchSize = Math.max(1, options.batchSize ?? 10_000);
    this.retryMs = options.retryMs ?? 200;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? Math.max(this.commitTimeoutMs, 1000);
    if (options.metrics) this.registerMetrics(options.metrics);
  }

  private registerMetrics(m: MetricsRegistry): void {
    this.counters.written = m.counter({
      name: "decision_log_rows_written_total",
      help: "Decision log rows committed to the database (rows already logged, or about a customer erased since, are skipped and not counted).",
    });
    this.counters.commits = m.counter({
      name: "decision_log_commits_total",
      help: "Group commits of decision log rows (rows per commit: rows written / commits).",
    });
    this.counters.failures = m.counter({
      name: "decision_log_write_failures_total",
      help: "Failed attempts to write decision log rows (retried while their requests wait).",
    });
    this.counters.rejected = m.counter({
      name: "decision_log_rejected_total",
      help: "Decisions (customers) refused with 503 because their record could not be committed, or a read they wait on (a keyed request's stored answer, a campaign's control share) failed.",
    });
    this.counters.deadLettered = m.counter({
      name: "decision_log_dead_letter_rows_total",
      help: "Decision log rows the database refused, moved to decision_log_dead_letter.",
    });
    this.counters.erased = m.counter(ERASED_ROWS_METRIC);
    const pendingGauge = m.gauge({
      name: "decision_log_buffered_rows",
      help: "Decision log rows waiting for their commit (their requests are waiting too).",
    });
    const capacityGauge = m.gauge({
      name: "decision_log_buffer_capacity_rows",
      help: "Most decision log rows that may wait for a commit.",
    });
    const downGauge = m.gauge({
      name: "decision_log_database_down",
      help: "1 while the decision log cannot write to the database (decisions answer 503).",
    });
    m.onCollect(() => {
      pendingGauge.set(undefined, this.pending);
      capacityGauge.set(undefined, this.capacity);
      downGauge.set(undefined, this.downSince === undefined ? 0 : 1);
    });
  }

  /** Rows waiting for their commit (queued or being written). */
  get pending(): number {
    let rows = this.queuedRows;
    for (const w of this.inFlight) if (!w.settled) rows += w.rows.length;
    return rows;
  }

  /** A short reason while the database cannot be written to (never SQL or parameters). */
  get problem(): string | undefined {
    return this.downSince === undefined ? undefined : this.lastError;
  }

  /** Whether a record of `count` rows would be attempted now (not full, not down, not closed). */
  hasRoomFor(count: number): boolean {
    return !this.closed && this.downSince === undefined && this.pending + count <= this.capacity;
  }

  /** For /ready: asks the database now (unless known down); a failure marks the log down, so
   * decisions answer 503 at once and the writer retries in the background. */
  async check(): Promise<{ ok: boolean; reason?: string }> {
    if (this.closed) return { ok: false, reason: "decision log is closed (shutting down)" };
    if (this.downSince === undefined) {
      // One probe at a time; /ready waits briefly (the first one may be opening and migrating
      // the database, which takes seconds) and the probe itself records up or down.
      this.probing ??= this.attempt(() => this.probe())
        .then((ok) => {
          // A probe that fails after /ready stopped waiting marks the log down with no writer
          // running: start it, or decisions would be refused until the next /ready.
          if (!ok && !this.permanent) this.kick();
          return ok;
        })
        .finally(() => {
          this.probing = null;
        });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const answered = await Promise.race([
        this.probing.then(() => true),
        new Promise<false>((r) => {
          timer = setTimeout(r, CHECK_WAIT_MS, false);
        }),
      ]);
      clearTimeout(timer);
      if (!answered) return { ok: false, reason: "database not answering yet (opening?)" };
    }
    if (this.downSince === undefined) return { ok: true };
    if (!this.permanent) this.kick();
    return { ok: false, reason: `cannot record decisions ${this.downFor()}: ${this.lastError}` };
  }

  /**
   * Since when the log is down. Away since start, it is "since start": timed from the first failed
   * attempt, the first /ready said "for 0 s", as if the database had just gone.
   */
  private downFor(): string {
    const now = Date.now();
    if (!this.everWritten)
      return `since start (${Math.round((now - this.startedAt) / 1000)} s ago)`;
    const since = this.downSince ?? now;
    return `since ${new Date(since).toISOString()} (${Math.round((now - since) / 1000)} s)`;
  }

  /** Counts `count` decisions refused before they asked (see hasRoomFor). */
  countRejected(count: number): void {
    this.counters.rejected?.inc(undefined, count);
  }

  /** Resolves once the rows are committed, naming those skipped for an erasure; rejects with
   * DecisionLogUnavailableError or DecisionLogRefusedError (then the rows are not in decision_log). */
  record(rows: NewDecisionLogRow[], amend?: AmendAnswer): Promise<RecordOutcome> {
    const refusal = this.refusal(rows.length);
    if (refusal) {
      this.counters.rejected?.inc(undefined, rows.length);
      return Promise.reject(refusal);
    }
    if (rows.length === 0) return Promise.resolve(NOTHING_ERASED);
    return new Promise<RecordOutcome>((resolve, reject) => {
      const now = performance.now();
      const waiter: Waiter = {
        rows,
        amend,
        resolve,
        reject,
        settled: false,
        timer: undefined,
        since: now,
        expiresAt: now,
        sent: false,
      };
      // Its rows are written after those already waiting: the deadline covers them too, so a
      // queue of concurrent batches on a database keeping pace is not taken for a slow one
      // (50 batches of 2,000 at once: 74 of 75 requests were 503, 28,000 of their rows committed).
      this.extendDeadline(waiter, this.pending + rows.length);
      this.queue.push(waiter);
      this.queuedRows += rows.length;
      this.kick();
    });
  }

  private refusal(count: number): DecisionLogUnavailableError | undefined {
    if (this.closed) return new DecisionLogUnavailableError("closed", "decision log is closed");
    if (this.downSince !== undefined) {
      return new DecisionLogUnavailableError(
        "down",
        `decision log database unavailable (${this.lastError ?? "unknown"})`,
      );
    }
    if (this.pending + count > this.capacity) {
      return new DecisionLogUnavailableError(
        "full",
        `decision log busy (${this.pending} of ${this.capacity} rows waiting for a commit)`,
      );
    }
    return undefined;
  }

  /** Gives `waiter` until the commit of `rows` more rows, from now, if that is later. */
  private extendDeadline(waiter: Waiter, rows: number): void {
    const now = performance.now();
    const until = now + scaledDeadline(this.commitTimeoutMs, rows);
    if (until <= waiter.expiresAt) return;
    clearTimeout(waiter.timer);
    waiter.expiresAt = until;
    const deadline = Math.round(until - waiter.since);
    waiter.timer = setTimeout(() => this.expire(waiter, deadline), until - now);
  }

  /** A waiter's time is up: answer 503; drop its rows if they were not sent yet. */
  private expire(waiter: Waiter, deadline: number): void {
    if (waiter.settled) return;
    const index = this.queue.indexOf(waiter);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.queuedRows -= waiter.rows.length;
    }
    // If its rows are being written they may still commit: a 503 decision can appear in the
    // log, never a 200 decision be missing from it.
    this.counters.rejected?.inc(undefined, waiter.rows.length);
    this.settle(
      waiter,
      new DecisionLogUnavailableError(
        "timeout",
        `decision not recorded within ${deadline} ms (${this.lastError ?? "database slow"})`,
      ),
    );
  }

  private settle(waiter: Waiter, err?: Error, erased: ReadonlySet<string> = new Set()): void {
    if (waiter.settled) return;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    if (err) waiter.reject(err);
    else
      waiter.resolve(
        erased.size === 0 ? NOTHING_ERASED : { erased: erasedOf(waiter.rows, erased) },
      );
  }

  /** Resolves true once nothing waits for a commit (false after `timeoutMs`). */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
    return true;
  }

  /** Writes what waits (bounded by `timeoutMs`), then refuses new rows. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    const drained = await this.drain(timeoutMs);
    this.closed = true;
    this.wake?.();
    for (const waiter of this.queue.splice(0)) {
      this.settle(waiter, new DecisionLogUnavailableError("closed", "decision log is closed"));
    }
    this.queuedRows = 0;
    return drained;
  }

  private kick(): void {
    if (this.wake) this.wake();
    if (this.running || this.closed) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      // Rows may have arrived after the loop's last look.
      if (this.queue.length > 0 && !this.closed) this.kick();
    });
  }

  /** One writer: takes everything queued (up to batchSize rows) and commits it as one group;
   * while the database is down it retries every retryMs, probing when nothing is queued. */
  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.permanent) return this.refuseAllQueued();
      if (this.queue.length === 0 && this.downSince === undefined) return;
      if (this.queue.length === 0) {
        await this.attempt(() => this.probe());
        if (this.downSince !== undefined) await this.pause();
        continue;
      }
      // Let pending I/O run first (answers from forecast, new requests): their rows join this
      // group instead of waiting for the next commit. An embedded database (PGlite) runs on this
      // thread, so without the yield each commit would start before they get a turn. setImmediate
      // runs after the I/O that is ready; setTimeout(0) slept ~1 ms more per commit in Bun.
      await new Promise((r) => setImmediate(r));
      if (this.queue.length === 0) continue;
      const group = this.takeGroup();
      const rows = group.reduce((n, w) => n + w.rows.length, 0);
      const ok = await this.attempt(() => this.writeGroup(group), rows);
      this.inFlight = [];
      if (!ok) {
        // Still-waiting requests go back to the front, in order, for the next attempt.
        const live = group.filter((w) => !w.settled);
        this.queue.unshift(...live);
        for (const w of live) this.queuedRows += w.rows.length;
        await this.pause();
      }
    }
  }

  /** The database answers, and its disk has room for a write (MIN_FREE_DISK_BYTES). */
  private async probe(): Promise<void> {
    await this.options.sink.probe();
    const free = this.options.freeDiskBytes?.();
    if (free !== undefined && free < MIN_FREE_DISK_BYTES) throw new DiskFullError(free);
  }

  /** No database on this runtime: nothing will change, so nothing waits or retries. */
  private refuseAllQueued(): void {
    for (const waiter of this.queue.splice(0)) {
      this.counters.rejected?.inc(undefined, waiter.rows.length);
      this.settle(waiter, new DecisionLogUnavailableError("down", "no database configured"));
    }
    this.queuedRows = 0;
  }

  private takeGroup(): Waiter[] {
    const group: Waiter[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Waiter;
      if (group.length > 0 && rows + next.rows.length > this.batchSize) break;
      this.queue.shift();
      group.push(next);
      rows += next.rows.length;
    }
    this.queuedRows -= rows;
    this.inFlight = group;
    // Each waits for the whole group's commit, rows queued after its own included; once, so a
    // database that is down does not keep its waiters waiting at every retry.
    for (const w of group) {
      if (!w.sent && group.length > 1) this.extendDeadline(w, rows);
      w.sent = true;
    }
    return group;
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.retryMs);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      // New rows do not cut a pause short while down (they are refused anyway); close does.
      this.wake = () => {
        if (this.closed) done();
      };
    });
  }

  /** Runs a database step (writing `rows`); records down/up transitions. True when it succeeded. */
  private async attempt(step: () => Promise<void>, rows = 0): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = scaledDeadline(this.attemptTimeoutMs, rows);
    try {
      // Bounded: a driver may wait long for a connection to a stopped server; the writer must
      // notice the database back within ~retryMs, so a stuck attempt is given up (a write that
      // completes later is harmless: rows are keyed by decision_id).
      await Promise.race([
        step(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new AttemptTimeoutError(ms)), ms);
        }),
      ]);
    } catch (err) {
      this.counters.failures?.inc(undefined, 1);
      const why = safeReason(err);
      if (this.downSince === undefined || this.lastError !== why) {
        this.options.logger?.warn(
          "decision log write failed; decisions answer 503 until it works",
          {
            error: why,
            pending: this.pending,
          },
        );
      }
      this.lastError = why;
      this.permanent = isNoDatabase(err);
      this.downSince ??= Date.now();
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (this.downSince !== undefined) {
      this.options.logger?.info("decision log writes recovered", {
        down_ms: Date.now() - this.downSince,
      });
    }
    this.downSince = undefined;
    this.lastError = undefined;
    this.everWritten = true;
    return true;
  }

  /** Commits the group; on a content error splits it to isolate the refused rows. */
  private async writeGroup(group: Waiter[]): Promise<void> {
    const rows = group.flatMap((w) => w.rows);
    const amend = amendsOf(group);
    const erased = new Set<string>();
    let written = 0;
    try {
      const outcome = await this.options.sink.write(rows, amend);
      written = outcome.written;
      for (const id of outcome.erased) erased.add(id);
    } catch (err) {
      if (!isDataError(err)) throw err;
      const around = await this.isolate(rows, safeReason(err), erased, amend);
      written = around.written;
      for (const w of group) {
        const bad = w.rows.find((r) => around.refused.has(r));
        if (bad) this.settle(w, new DecisionLogRefusedError(around.refused.get(bad) as string));
      }
    }
    this.counters.written?.inc(undefined, written);
    this.counters.commits?.inc(undefined, 1);
    this.counters.erased?.inc(undefined, erased.size);
    for (const w of group) this.settle(w, undefined, erased);
  }

  /** Writes `rows` by halves until each refused row stands alone; dead-letters those.
   * Returns the refused rows with their reasons, and the rows written around them; adds the ids
   * of rows an erasure skipped to `erased`. Connection errors propagate. `amend` is given every
   * row skipped so far: an answer row written in an earlier half is amended in a later one's
   * commit (only then can a replay read the answer unamended, between the two). */
  private async isolate(
    rows: NewDecisionLogRow[],
    reason: string,
    erased: Set<string>,
    amend: AmendKeptAnswers | undefined,
  ): Promise<{ refused: Map<NewDecisionLogRow, string>; written: number }> {
    const refused = new Map<NewDecisionLogRow, string>();
    let written = 0;
    const stack: Array<{ rows: NewDecisionLogRow[]; reason: string }> = [{ rows, reason }];
    while (stack.length > 0) {
      const part = stack.pop() as { rows: NewDecisionLogRow[]; reason: string };
      if (part.rows.length === 1) {
        refused.set(part.rows[0] as NewDecisionLogRow, part.reason);
        continue;
      }
      const mid = part.rows.length >> 1;
      for (const half of [part.rows.slice(mid), part.rows.slice(0, mid)]) {
        try {
          const sofar = amend && ((ids: readonly string[]) => amend([...erased, ...ids]));
          const outcome = await this.options.sink.write(half, sofar);
          written += outcome.written;
          for (const id of outcome.erased) erased.add(id);
        } catch (err) {
          if (!isDataError(err)) throw err;
          stack.push({ rows: half, reason: safeReason(err) });
        }
      }
    }
    const letters = [...refused].map(([row, why]) => ({ row, reason: why }));
    await this.options.sink.deadLetter(letters);
    this.counters.deadLettered?.inc(undefined, letters.length);
    for (const letter of letters) {
      // One line per refused row, without its content (which may be anything).
      this.options.logger?.error("decision log refused a row; moved to decision_log_dead_letter", {
        decision_id: letter.row.decisionId,
        error: letter.reason,
      });
    }
    return { refused, written };
  }
}
