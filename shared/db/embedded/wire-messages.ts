// The frontend messages the embedded wire server writes itself, to PGlite on a client's behalf
// (a rollback for a client that vanished, its statements closed, a refused COPY): one framing,
// and the reading of the NUL-terminated texts in a client's messages.

export const QUERY = 0x51; // 'Q'
export const PARSE = 0x50; // 'P'
export const CLOSE = 0x43; // 'C'

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The NUL-terminated text of `msg` at `from` (a statement name, a query), and the index of its
 * NUL; unterminated: the rest of the message, and -1.
 */
export function textAt(msg: Uint8Array, from: number): { text: string; end: number } {
  const end = msg.indexOf(0, from);
  return { text: decoder.decode(msg.subarray(from, end < 0 ? msg.length : end)), end };
}

/** A message of `type` holding `texts`, each NUL-terminated, then `tail` (raw bytes). */
function frontendMessage(type: number, texts: string[], tail: number[] = []): Uint8Array {
  const body = encoder.encode(texts.map((t) => `${t}\0`).join(""));
  const out = new Uint8Array(5 + body.length + tail.length);
  out[0] = type;
  new DataView(out.buffer).setInt32(1, 4 + body.length + tail.length);
  out.set(body, 5);
  out.set(tail, 5 + body.length);
  return out;
}

/** A simple-protocol Query message. */
export function queryMessage(sql: string): Uint8Array {
  return frontendMessage(QUERY, [sql]);
}

/** A Parse message of statement `name` (unnamed: "") with no parameter types given. */
export function parseMessage(name: string, sql: string): Uint8Array {
  return frontendMessage(PARSE, [name, sql], [0, 0]);
}

/** Sync: ends an extended-protocol exchange (and whatever error it was skipping to). */
export const SYNC_MESSAGE = Uint8Array.of(0x53, 0, 0, 0, 4);

/** A Close message for the prepared statement `name` (closing one that does not exist is no error). */
export function closeStatementMessage(name: string): Uint8Array {
  return frontendMessage(CLOSE, [`S${name}`]);
}
