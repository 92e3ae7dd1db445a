// What the decision routes need from a decision log. Both kinds commit a decision's row before it
// is answered: the group-commit log (Bun, Node, Deno: concurrent decisions share one INSERT) and
// the write-through log (Workers: each request writes its own rows with its own connection,
// because nothing may be shared across requests or run after a response there).
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import type { AmendAnswer, RecordOutcome } from "./audit-log.ts";

export interface DecisionAudit {
  /** Resolves once the rows are committed, naming those the log skipped because their customer
   * was erased since they were decided (answer 409: they are not logged); rejects with
   * DecisionLogUnavailableError (answer 503) or DecisionLogRefusedError (the database refused the
   * content; answer 422). `amend`: the answer a keyed batch's answer row keeps instead, when some
   * of its rows are skipped so, committed with the rows. */
  record(rows: NewDecisionLogRow[], amend?: AmendAnswer): Promise<RecordOutcome>;
  /** Whether a record of `count` rows would be attempted now. */
  hasRoomFor(count: number): boolean;
  /** Counts `count` decisions refused before they asked (see hasRoomFor). */
  countRejected(count: number): void;
  /** For /ready: whether decisions can be recorded now, with a short reason (never SQL). */
  check(): Promise<{ ok: boolean; reason?: string }>;
  readonly pending: number;
  readonly capacity: number;
  readonly problem: string | undefined;
  drain(timeoutMs?: number): Promise<boolean>;
  close(timeoutMs?: number): Promise<boolean>;
}
