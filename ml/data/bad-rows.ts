// Bookkeeping for malformed rows shared by every reader: count them, keep the first few reasons
// with their line numbers, and either skip them or stop at the first one.

import type { ReadReport, RowError } from "./transaction-log.ts";

/** What a reader does with a malformed row: skip it and report it, or fail on it. */
export type BadRowPolicy = "skip" | "fail";

/**
 * Thrown under `onBadRow: "fail"`; names the line (the row of a table or a query), the field and
 * the problem, and how to find the row when its number alone does not (`hint`).
 */
export class BadRowError extends Error {
  readonly line: number;
  readonly field: string | undefined;
  /** What is wrong with the row, without where it is. */
  readonly problem: string;
  constructor(
    source: string,
    error: RowError,
    at: { position?: "line" | "row"; hint?: string } = {},
  ) {
    const where = error.field ? `, field "${error.field}"` : "";
    const hint = at.hint ? `; ${at.hint}` : "";
    super(`${source}: ${at.position ?? "line"} ${error.line}${where}: ${error.message}${hint}`);
    this.name = "BadRowError";
    this.line = error.line;
    this.field = error.field;
    this.problem = error.message;
  }
}

/** Accumulates a ReadReport; keeps at most `maxErrors` reasons (every bad row is still counted). */
export class ReadReporter {
  rowsRead = 0;
  rowsKept = 0;
  badRows = 0;
  readonly errors: RowError[] = [];

  constructor(
    private readonly source: string,
    private readonly policy: BadRowPolicy = "skip",
    private readonly maxErrors = 500,
  ) {}

  /** Records a malformed row; throws BadRowError when the policy is "fail". */
  bad(line: number, field: string | undefined, message: string): void {
    this.badRows++;
    const error: RowError = field === undefined ? { line, message } : { line, field, message };
    if (this.policy === "fail") throw new BadRowError(this.source, error);
    if (this.errors.length < this.maxErrors) this.errors.push(error);
  }

  report(): ReadReport {
    return {
      rowsRead: this.rowsRead,
      rowsKept: this.rowsKept,
      badRows: this.badRows,
      errors: this.errors,
    };
  }
}
