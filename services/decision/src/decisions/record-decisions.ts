// Records decisions before they are answered: waits for the decision log's commit and turns
// what can go wrong into the answer the caller gets (503 when the record cannot be made durable,
// 422 when the database refuses the decision's content, 409 when the log skipped it because the
// customer's decisions were erased moments ago). Never an unrecorded 200.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { ERASURE_SLACK_MS } from "@pp/shared/registry/customer-erasures.ts";
import {
  type AmendAnswer,
  DecisionLogRefusedError,
  DecisionLogUnavailableError,
  type RecordOutcome,
} from "../audit/audit-log.ts";
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

/**
 * Seconds after which a decision about a customer just erased is past the log's skip (the
 * erasure's slack, and a second for the clocks' uncertainty and the request's own time).
 */
export const ERASED_RETRY_AFTER_S = Math.ceil(ERASURE_SLACK_MS / 1000) + 1;

/** What a decision about a customer erased moments ago is answered (its row was not logged). */
export const ERASED_MESSAGE =
  "this customer's decisions were erased moments ago, so a decision made now is not logged and was not made; retry";

/**
 * The 409 of a decision the log skipped because its customer was erased moments ago. A keyed batch
 * whose answer was to be kept with that decision passes its key's header: none of the batch's rows
 * was logged, so the same key may be sent again once the erasure's second is past.
 */
export function erasedCustomerError(customerId: string, batchKeyHeader?: string): AppError {
  const [how, detail] = batchKeyHeader
    ? [
        ` the batch (none of its decisions was logged; the same ${batchKeyHeader} may be sent again)`,
        `, with this ${batchKeyHeader} or another`,
      ]
    : ["", ""];
  return new AppError("conflict", `Customer "${customerId}": ${ERASED_MESSAGE}${how}`, {
    details: [
      {
        path: "customer_id",
        message: `${ERASED_MESSAGE} after ${ERASED_RETRY_AFTER_S} s${detail}`,
      },
    ],
    headers: { "Retry-After": String(ERASED_RETRY_AFTER_S) },
  });
}

/**
 * Resolves once the rows are committed, naming (by decision id, lower case) those the log skipped
 * because their customer was erased since they were decided; throws the AppError to answer
 * otherwise. `amend`: see DecisionAudit.record.
 */
export async function recordOrRefuse(
  deps: DecisionDeps,
  rows: NewDecisionLogRow[],
  amend?: AmendAnswer,
): Promise<RecordOutcome> {
  try {
    return await deps.audit.record(rows, amend);
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
