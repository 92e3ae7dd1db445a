// COPY ... FROM STDIN over the embedded wire server: PGlite answers one input at a time and cannot
// wait for the CopyData that follows, so it ended the whole hosting process (exit 1), taking the
// decision or forecast service with it. Such a statement is swapped for one that fails with a
// PostgreSQL error naming what to do instead; the protocol goes on as after any failed statement.

const QUERY = 0x51; // 'Q'
const PARSE = 0x50; // 'P'

const COPY_FROM_STDIN = /\bcopy\b[\s\S]*?\bfrom\s+stdin\b/i;

const REFUSAL_SQL =
  "DO $$BEGIN RAISE EXCEPTION USING ERRCODE = 'feature_not_supported', " +
  "MESSAGE = 'COPY ... FROM STDIN is not supported by the embedded store', " +
  "HINT = 'psql''s \\copy sends one too: load rows with INSERT, or set DATABASE_URL to a " +
  "PostgreSQL server'; END$$";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function message(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function nulTerminated(text: string): Uint8Array {
  return encoder.encode(`${text}\0`);
}

/** The message itself, or, for a Query or Parse of COPY ... FROM STDIN, one that fails instead. */
export function withoutCopyIn(msg: Uint8Array): Uint8Array {
  if (msg[0] === QUERY) {
    const sql = decoder.decode(msg.subarray(5, msg.indexOf(0, 5)));
    return COPY_FROM_STDIN.test(sql) ? message(QUERY, nulTerminated(REFUSAL_SQL)) : msg;
  }
  if (msg[0] === PARSE) {
    const nameEnd = msg.indexOf(0, 5);
    const sqlEnd = msg.indexOf(0, nameEnd + 1);
    if (nameEnd < 0 || sqlEnd < 0) return msg;
    const sql = decoder.decode(msg.subarray(nameEnd + 1, sqlEnd));
    if (!COPY_FROM_STDIN.test(sql)) return msg;
    const name = msg.subarray(5, nameEnd + 1);
    const query = nulTerminated(REFUSAL_SQL);
    const body = new Uint8Array(name.length + query.length + 2); // + int16 0 parameter types
    body.set(name, 0);
    body.set(query, name.length);
    return message(PARSE, body);
  }
  return msg;
}
