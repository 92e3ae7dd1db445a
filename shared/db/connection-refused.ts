// Whether an error means the database would not let us in at all (no such role, wrong password, no
// such database, unknown host): unlike a lost connection, running again will not help, so the
// caller names the URL's part to fix instead of printing the driver's stack.

import { errorChain } from "../errors/error-chain.ts";

/** SQLSTATE or socket code → which part of the URL it points at. */
const REFUSED: Record<string, string> = {
  "28000": "its user (pass postgres://USER@host/db, or set PGUSER)",
  "28P01": "its user and password",
  "3D000": "its database name (create the database, or name one that exists)",
  ENOTFOUND: "its host name",
  EAI_AGAIN: "its host name",
};

/** The driver's message and what to check, or null when the error is something else. */
export function connectionRefusedReason(
  error: unknown,
): { code: string; message: string; check: string } | null {
  for (const e of errorChain(error)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code in REFUSED) {
      return { code, message: (e as Error).message ?? String(e), check: REFUSED[code] as string };
    }
  }
  return null;
}

/** The URL with its password replaced by `***`, for messages (an unparsable URL is not echoed). */
export function redactedDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL is not a URL)";
  }
}
