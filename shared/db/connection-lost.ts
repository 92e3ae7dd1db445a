// Whether an error means the database went away under a command (stopped, restarted, network
// cut), as opposed to refusing what was asked: the caller can say so plainly and ask for a rerun.

import { errorChain } from "../errors/error-chain.ts";

/** postgres.js's codes for a connection that closed or never opened, and Node's socket errors. */
const LOST = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
]);

/**
 * SQLSTATE class 08 (connection exception), the server shutting down (57P01–57P03) and too many
 * connections (53300): each clears by itself.
 */
const LOST_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/**
 * 55000 is a broad class; at connect it is the database closed to connections (`ALTER DATABASE
 * … ALLOW_CONNECTIONS false`, as for maintenance), a 500 on every route until then.
 */
const NOT_ACCEPTING = /is not currently accepting connections/;

/** The code (of the error or a cause) saying the connection was lost, or null. */
export function connectionLostCode(error: unknown): string | null {
  for (const e of errorChain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (LOST.has(code) || LOST_SQLSTATE.test(code)) return code;
    if (code === "55000" && NOT_ACCEPTING.test(String((e as Error).message))) return code;
  }
  return null;
}
