// The error of a service built without a database (a Worker without its Hyperdrive binding): every
// use names why, and every route that needed it answers 503 with that reason, never a 500.

/** No database on this runtime; `code` names it in /ready without any other detail. */
export class NoDatabaseError extends Error {
  override readonly name = "NoDatabaseError";
  readonly code = "NO_DATABASE_CONFIGURED";
}
