// A read a decision cannot be answered without (a keyed request's stored answer, a campaign's
// pinned control share): bounded in time like the commit of the decisions' rows, and a failure
// is a 503 counted in decision_log_rejected_total, as a decision the log cannot record is.
import { AppError } from "@pp/shared/errors/app-error.ts";
import { TimedOutError, within } from "@pp/shared/process/within.ts";
import { scaledDeadline } from "../audit/audit-log.ts";
import type { DecisionDeps } from "../deps.ts";

export interface DecisionRead<T> {
  /** Customers whose decisions wait on the read (refused together when it fails). */
  customers: number;
  /** What is read, for the timeout's message ("reading the campaign's share"). */
  what: string;
  /** The 503's message: what could not be checked, and that a retry may succeed. */
  refusal: string;
  read: () => Promise<T>;
}

export async function readForDecisions<T>(
  deps: Pick<DecisionDeps, "audit" | "config">,
  { customers, what, refusal, read }: DecisionRead<T>,
): Promise<T> {
  try {
    // As long as its decisions may wait for their commit: a server gone away is not waited on
    // longer, and a batch's 10,000 ids, read while other batches are written, not shorter.
    const rows = deps.audit.pending + customers;
    const ms = scaledDeadline(deps.config.DECISION_LOG_COMMIT_TIMEOUT_MS, rows);
    return await within(read(), ms, what);
  } catch (cause) {
    if (cause instanceof AppError) throw cause; // the read's own answer (a 409), not an outage
    deps.audit.countRejected(customers);
    const reason = cause instanceof TimedOutError ? "timeout" : "unreadable";
    throw new AppError("unavailable", refusal, {
      details: { decision_log: { reason } },
      headers: { "Retry-After": "1" },
      cause,
    });
  }
}
