// What a failed database call says to the outside (/ready, a 503's message): the driver's own
// message, from under drizzle's "Failed query: <sql> params: …" wrapper, which holds the query
// and its parameters (customer and campaign ids).
import { errorChain } from "./error-chain.ts";

/** The innermost message that is not drizzle's wrapper; "query failed" when only it is there. */
export function driverMessage(err: unknown): string {
  const chain = errorChain(err).filter((e): e is Error => e instanceof Error);
  const driver = chain.find((e) => !e.message.startsWith("Failed query:"));
  return driver?.message ?? (chain.length > 0 ? "query failed" : String(err));
}

/**
 * Codes whose messages name a host, a port or a file: the OS's (`connect ECONNREFUSED
 * 10.0.0.5:5432`, `getaddrinfo ENOTFOUND db.internal`, `EEXIST: file already exists, mkdir
 * '/srv/data'`) and postgres.js's connection codes (`write CONNECT_TIMEOUT 10.0.0.5:5432`).
 */
const ADDRESSING_CODE = /^(E[A-Z0-9_]+|CONNECT_TIMEOUT|CONNECTION_[A-Z]+)$/;

/**
 * driverMessage for an answer anyone may read (/ready, a 503): an error whose message names a
 * host, a port or a file is said by its code and system call only (`ECONNREFUSED (connect)`);
 * the log line keeps the whole message.
 */
export function outwardDriverMessage(err: unknown): string {
  for (const e of errorChain(err)) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    if (typeof code === "string" && ADDRESSING_CODE.test(code)) {
      return typeof syscall === "string" ? `${code} (${syscall})` : code;
    }
  }
  return driverMessage(err);
}
