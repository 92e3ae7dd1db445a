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
