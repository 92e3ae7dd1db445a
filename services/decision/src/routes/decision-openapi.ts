// The decision routes' entries in /openapi.json: POST /decision and POST /decision/batch with their
// request and answer schemas, every status they answer, and the statuses every keyed route shares.
import type { OperationSpec } from "@pp/shared/http/openapi.ts";
import { idempotencyHeaders, REPLAYED_HEADER } from "../decisions/idempotent-decision.ts";
import { batchAnswerSchema, decisionAnswerSchema } from "./decision-answers.ts";
import {
  batchRequestSchema,
  decisionRequestSchema,
  MAX_BATCH_CUSTOMERS,
} from "./decision-schemas.ts";

/**
 * The README's example (and `npm start`'s curl line): a customer who bought on 8 of the last 36
 * weeks and last 2 weeks ago is likely to buy again soon, so the call (uplift 0.4) is worth its cost.
 */
export const exampleDecision = {
  customer: { id: "c-42", summary: { frequency: 8, recency: 34, T: 36, monetary: 35 } },
  horizon: { value: 13, unit: "week" },
  actions: [
    { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 },
    { id: "call", cost: 6, uplift: 0.4, margin: 8 },
  ],
};

/** What every keyed route may answer besides its own statuses. */
export const keyed = {
  "401": "No, unknown, expired or revoked API key",
  "403": "The key lacks the scope",
  "429": "Rate limited (per key)",
  "503": "The database is unavailable (API keys or the route's data cannot be read now)",
};
/** The body limit's answers (bodySizeLimit), on every route it guards. */
export const bodyLimits = {
  "408": "Body not received within BODY_READ_TIMEOUT_MS",
  "413": "Body larger than MAX_BODY_BYTES",
};
export const bodyErrors = {
  "400": "Malformed JSON or invalid fields (details list path and problem per field)",
  ...bodyLimits,
  "415": "Content-Type is not application/json",
};

const replayed = {
  [REPLAYED_HEADER]:
    '"true" when the answer is the one an earlier request under the same Idempotency-Key got',
};

export const decisionOperations: OperationSpec[] = [
  {
    method: "post",
    path: "/decision",
    scope: "decide",
    summary: "Choose the action for one customer (expected profit under the active policy)",
    description:
      "The customer by id (the forecast model's customers), summary or transactions; every action ranked with its expected profit, eligibility and reasons; `none` is always a candidate. The decision is in the durable decision log before it is answered.",
    body: decisionRequestSchema,
    bodyName: "DecisionRequest",
    bodyExample: exampleDecision,
    headers: idempotencyHeaders,
    response: decisionAnswerSchema,
    responseName: "DecisionAnswer",
    successHeaders: replayed,
    responses: {
      "200": "The chosen action, the ranking, the policy and model versions",
      ...bodyErrors,
      "404": "The customer id is not among the forecast model's customers",
      "409":
        "The campaign's control share is pinned to another value; a request with this Idempotency-Key and another body is still being decided; or the customer's decisions were erased moments ago, so this decision was not logged nor made (`details` names `customer_id`; retry after `Retry-After` seconds)",
      "422": "The Idempotency-Key was used for another request, or the customer cannot be scored",
      ...keyed,
      "503":
        "The decision log cannot take the decision now, or the forecast is unavailable (nothing was decided)",
      "504": "The forecast service timed out (nothing was decided)",
    },
  },
  {
    method: "post",
    path: "/decision/batch",
    scope: "decide",
    summary: `Choose actions for up to ${MAX_BATCH_CUSTOMERS} customers within a budget`,
    description:
      "The selection that maximises total expected profit within the budget (exact, or with its bound). Unknown customers are listed in `errors`, not refused; so are customers whose decisions were erased moments ago (code `conflict`: their decisions were not logged; decide them again a few seconds later).",
    body: batchRequestSchema,
    bodyName: "DecisionBatchRequest",
    headers: idempotencyHeaders,
    response: batchAnswerSchema,
    responseName: "DecisionBatchAnswer",
    successHeaders: replayed,
    responses: {
      "200": "The selection, per-customer choices and totals",
      ...bodyErrors,
      "409":
        "The campaign's control share is pinned to another value; a request with this Idempotency-Key and another body is still being decided; the key's batch was partly erased (its answer cannot be replayed: final for that key, send the batch under a new key); or, under a key, the customer whose row keeps the batch's answer (the first decided) was erased moments ago (`details` names `customer_id`; nothing was logged: send the batch again after `Retry-After` seconds, with the same key or another)",
      "422": "The Idempotency-Key was used for another request",
      ...keyed,
      "503":
        "The decision log cannot take the batch now, or the forecast is unavailable (nothing was decided)",
      "504": "The forecast service timed out (nothing was decided)",
    },
  },
];
