// The error for a log that cannot be read as given: it names the column, where (line or row) and
// what to pass instead, so a user with an unfamiliar export knows the next command to try.

export class InputError extends Error {
  readonly column: string | undefined;
  readonly hint: string | undefined;
  constructor(column: string | undefined, problem: string, options: { hint?: string } = {}) {
    super(options.hint ? `${problem}; ${options.hint}` : problem);
    this.name = "LogInputError";
    this.column = column;
    this.hint = options.hint;
  }
}

/**
 * A log without a single row: a header line and nothing below it, an empty table or query, or
 * (`what`) an empty file.
 */
export function emptyLogError(where?: string, what = "the log has no rows"): InputError {
  return new InputError(undefined, `${where ? `${where}: ` : ""}${what}`, {
    hint: "pass the export itself: a header and one line (row) per purchase below it",
  });
}
