// POST /decision/batch: up to 10,000 customers, the actions, a horizon and a budget → the
// selection that maximises total expected profit within the budget (exact or with its bound).
import { AppError } from "@pp/shared/errors/app-error.ts";
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { decisionOutcomeMetrics } from "@pp/shared/metrics/decision-outcome-metrics.ts";
import type { Hono, MiddlewareHandler } from "hono";
import { decideBatch } from "../decisions/decide-batch.ts";
import { IDEMPOTENCY_HEADER } from "../decisions/idempotent-decision.ts";
import type { DecisionDeps } from "../deps.ts";
import { batchRequestSchema } from "./decision-schemas.ts";

/**
 * A batch is not replayed under a key (its answer names many customers, and an erasure of one
 * must not leave their id in another's stored answer): the header is refused rather than ignored,
 * so no client believes its retries are safe when they are not.
 */
function refuseIdempotencyKey(header: string | undefined): void {
  if (header === undefined) return;
  throw new AppError("bad_request", `${IDEMPOTENCY_HEADER} is not supported on /decision/batch`, {
    details: [
      {
        path: IDEMPOTENCY_HEADER,
        message:
          "not supported here: send each customer to POST /decision with its own key, or leave the header out",
      },
    ],
  });
}

export function registerDecisionBatch(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  auth: MiddlewareHandler<AppEnv>,
): void {
  const outcomes = decisionOutcomeMetrics(deps.metrics);
  app.post(
    "/decision/batch",
    auth,
    // The body limit is MAX_BODY_BYTES (app.ts), the same 10 MiB default as /forecast: the
    // customers are forwarded there, so a batch it accepts is never refused upstream for size.
    jsonBody(batchRequestSchema),
    async (c) => {
      refuseIdempotencyKey(c.req.header(IDEMPOTENCY_HEADER));
      const answer = await decideBatch(deps, c.req.valid("json"));
      outcomes.batch(answer);
      Object.assign(c.get("logFields"), {
        batch_id: answer.batch_id,
        customers: answer.considered,
        selected: answer.totals.customers,
      });
      return c.json(answer);
    },
  );
}
