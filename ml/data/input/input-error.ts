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
