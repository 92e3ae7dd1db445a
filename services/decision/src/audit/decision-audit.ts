// What the decision routes need from a decision log: the buffered log (Bun, Node, Deno: rows are
// queued and written in batches) and the write-through log (Workers: the row is written before
// the answer, because nothing may run after a response there) both fit.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";

export interface DecisionAudit {
  /** Records the rows; throws when they cannot be recorded (the caller answers 503). */
  append(rows: NewDecisionLogRow[]): void | Promise<void>;
  hasRoomFor(count: number): boolean;
  readonly pending: number;
  readonly capacity: number;
  readonly problem: string | undefined;
  drain(timeoutMs?: number): Promise<boolean>;
  close(timeoutMs?: number): Promise<boolean>;
}
