// Records decisions before they are answered: waits for the decision log's commit and turns
// what can go wrong into the answer the caller gets (503 when the record cannot be made durable,
// 422 when the database refuses the decision's content). Never an unrecorded 200.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { DecisionLogRefusedError, DecisionLogUnavailableError } from "../audit/audit-log.ts";
import type { DecisionDeps } from "../deps.ts";

function logUnavailableError(err: DecisionLogUnavailableError): AppError {
  return new AppError(
    "unavailable",
    "Decision log unavailable: refusing to decide without a record; retry shortly",
    {
      details: { decision_log: { reason: err.why } },
      headers: { "Retry-After": "1" },
      cause: err,
    },
  );
}

/** 503 before any work when the log would refuse `count` rows anyway. */
export function refuseEarlyUnlessRoom(deps: DecisionDeps, count: number): void {
  if (deps.audit.hasRoomFor(count)) return;
  const why = deps.audit.problem ? "down" : "full";
  deps.audit.countRejected(count);
  throw logUnavailableError(new DecisionLogUnavailableError(why, "decision log unavailable"));
}

/** Resolves once the rows are committed; throws the AppError to answer otherwise. */
export async function recordOrRefuse(deps: DecisionDeps, rows: NewDecisionLogRow[]): Promise<void> {
  try {
    await deps.audit.record(rows);
  } catch (err) {
    if (err instanceof DecisionLogUnavailableError) throw logUnavailableError(err);
    if (err instanceof DecisionLogRefusedError) {
      throw new AppError(
        "unprocessable",
        "The decision log refused this decision's data, so it was not made; the request was " +
          "moved to decision_log_dead_letter for inspection",
        { details: { decision_log: { reason: err.reason } }, cause: err },
      );
    }
    throw err;
  }
}
