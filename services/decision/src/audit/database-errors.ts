// Classifies database errors for the decision log writer, and describes them without leaking:
// a reason is an SQLSTATE or a network error code, never the statement, its parameters or a stack
// (drizzle's error messages carry the whole query with every parameter).

import { connectionLostCode } from "@pp/shared/db/connection-lost.ts";
import { MigrationError } from "@pp/shared/db/migration-failure.ts";
import { NewerSchemaError } from "@pp/shared/db/newer-schema.ts";
import { errorChain } from "@pp/shared/errors/error-chain.ts";

function codeOf(err: unknown): string | undefined {
  for (const e of errorChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.length > 0 && code.length <= 32) return code;
  }
  return undefined;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The runtime has no database configured (see store/lazy-database.ts): retrying is pointless. */
export function isNoDatabase(err: unknown): boolean {
  return codeOf(err) === "NO_DATABASE_CONFIGURED";
}

/** The database refused the rows' content (class 22 data exception, 23 integrity violation):
 * sending the same rows again would fail again, so they must be isolated, not retried. */
export function isDataError(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && SQLSTATE.test(code))
    return code.startsWith("22") || code.startsWith("23");
  // PGlite and postgres.js both carry the SQLSTATE; a message check covers drivers that don't.
  return errorChain(err).some(
    (e) =>
      e instanceof Error &&
      /unsupported Unicode escape sequence|invalid byte sequence|invalid input syntax|null character not permitted/i.test(
        e.message,
      ),
  );
}

/** A short, safe description: "SQLSTATE 22P05 (data exception)", "ECONNREFUSED", ... */
export function safeReason(err: unknown): string {
  // A migration refused at start: which one, and the database's words (no statement, no data).
  const migration = errorChain(err).find((e) => e instanceof MigrationError);
  if (migration instanceof MigrationError) {
    const which = migration.migration ? `migration ${migration.migration}` : "the migrations";
    const code = migration.code ? `${migration.code}: ` : "";
    return `${which} could not be applied (${code}${migration.reason})`;
  }
  // A database a newer release migrated: its message names the migrations' dates, no data.
  const newer = errorChain(err).find((e) => e instanceof NewerSchemaError);
  if (newer) return newer.message;
  const code = codeOf(err);
  // The one 55000 that says more than "database error": closed for maintenance.
  if (code === "55000" && connectionLostCode(err) === code) {
    return "SQLSTATE 55000 (database not accepting connections)";
  }
  if (code !== undefined && SQLSTATE.test(code)) {
    const kind = code.startsWith("08")
      ? "connection exception"
      : code.startsWith("22")
        ? "data exception"
        : code.startsWith("23")
          ? "integrity constraint violation"
          : code === "57014"
            ? "statement cancelled: statement_timeout, or a cancel"
            : code.startsWith("57")
              ? "server shutting down or unavailable"
              : code.startsWith("53")
                ? "insufficient resources"
                : "database error";
    return `SQLSTATE ${code} (${kind})`;
  }
  // Our own bound (within.ts): the database may be away, or answering while this wait was on a
  // lock or a free connection; "unreachable" sent an operator looking at a database that was up.
  if (code === "TIMEOUT")
    return "no answer in time (TIMEOUT: the database away, or the query waiting on a lock or a connection)";
  if (code !== undefined && /^[A-Z_]+$/.test(code)) return `database unreachable (${code})`;
  if (isDataError(err)) return "data exception";
  const named = errorChain(err).find((e) => e instanceof Error) as Error | undefined;
  return named ? `database error (${named.name})` : "database error";
}
