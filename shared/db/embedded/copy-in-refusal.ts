// COPY ... FROM STDIN over the embedded wire server: PGlite answers one input at a time and cannot
// wait for the CopyData that follows, so it ended the whole hosting process (exit 1), taking the
// decision or forecast service with it. Such a statement is swapped for one that fails with a
// PostgreSQL error naming what to do instead; the protocol goes on as after any failed statement.

import { PARSE, parseMessage, QUERY, queryMessage, textAt } from "./wire-messages.ts";

const COPY_FROM_STDIN = /\bcopy\b[\s\S]*?\bfrom\s+stdin\b/i;

const REFUSAL_SQL =
  "DO $$BEGIN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', " +
  "MESSAGE = 'COPY ... FROM STDIN is not supported by the embedded store', " +
  "HINT = 'psql''s \\copy sends one too: load rows with INSERT, or set DATABASE_URL to a " +
  "PostgreSQL server'; END$$";

/** The message itself, or, for a Query or Parse of COPY ... FROM STDIN, one that fails instead. */
export function withoutCopyIn(msg: Uint8Array): Uint8Array {
  if (msg[0] === QUERY) {
    return COPY_FROM_STDIN.test(textAt(msg, 5).text) ? queryMessage(REFUSAL_SQL) : msg;
  }
  if (msg[0] === PARSE) {
    const name = textAt(msg, 5);
    if (name.end < 0) return msg;
    const sql = textAt(msg, name.end + 1);
    return sql.end >= 0 && COPY_FROM_STDIN.test(sql.text)
      ? parseMessage(name.text, REFUSAL_SQL)
      : msg;
  }
  return msg;
}
