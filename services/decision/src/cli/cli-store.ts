// The decision service's store as an operator command opens it (`keys`, `decisions`): DATABASE_URL,
// else the embedded store in DECISION_DATA_DIR (DATA_DIR), migrated; a store it cannot open is one
// line naming it and exit 1, not Bun's report of an uncaught error.
import type { DatabaseHandle } from "@pp/shared/db/client.ts";
import { connectionRefusedReason, redactedDatabaseUrl } from "@pp/shared/db/connection-refused.ts";
import { decisionStoreDir } from "@pp/shared/db/decision-store-dir.ts";
import { errorChain } from "@pp/shared/errors/error-chain.ts";
import { configOrExit } from "@pp/shared/http/start-up.ts";
import { parseConfig } from "../config.ts";
import { openDecisionDatabase } from "../store/open-decision-database.ts";

/**
 * One line for a store that could not be opened (an unreachable DATABASE_URL, a DATA_DIR that is
 * a file): it was Bun's report of an uncaught error, postgres.js's or fs's stack.
 */
function openFailure(
  err: unknown,
  config: { DATABASE_URL?: string; DECISION_DATA_DIR: string },
): string {
  const at = config.DATABASE_URL
    ? `the database at DATABASE_URL=${redactedDatabaseUrl(config.DATABASE_URL)}`
    : `the embedded store at ${decisionStoreDir(process.env).variable}=${config.DECISION_DATA_DIR}`;
  const refused = connectionRefusedReason(err);
  if (refused) {
    return `error: could not open ${at}: ${refused.code}: ${refused.message}; check ${refused.check}`;
  }
  const cause = errorChain(err).at(-1);
  const words = (cause instanceof Error ? cause.message : String(cause)).split("\n")[0];
  return `error: could not open ${at}: ${words}`;
}

/** The decision store of this environment, opened and migrated; else one line and exit 1. */
export async function openCliStore(): Promise<DatabaseHandle> {
  const config = configOrExit(() => parseConfig(process.env), process.exit);
  return openDecisionDatabase(config).catch((err: unknown) => {
    console.error(openFailure(err, config));
    process.exit(1);
  });
}
