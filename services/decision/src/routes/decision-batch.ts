// POST /decision/batch: up to 10,000 customers, the actions, a horizon and a budget → the
// selection that maximises total expected profit within the budget (exact or with its bound).

import { AppError } from "@pp/shared/errors/app-error.ts";
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { decisionOutcomeMetrics } from "@pp/shared/metrics/decision-outcome-metrics.ts";
import type { Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { decideBatch } from "../decisions/decide-batch.ts";
import type { DecisionDeps } from "../deps.ts";
import { batchRequestSchema } from "./decision-schemas.ts";

export const MAX_BATCH_BYTES = 32 * 1024 * 1024;

export function registerDecisionBatch(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  auth: MiddlewareHandler<AppEnv>,
): void {
  const outcomes = decisionOutcomeMetrics(deps.metrics);
  app.post(
    "/decision/batch",
    auth,
    bodyLimit({
      maxSize: MAX_BATCH_BYTES,
      onError: () => {
        throw new AppError("payload_too_large", `Request body exceeds ${MAX_BATCH_BYTES} bytes`, {
          details: [{ path: "body", message: `at most ${MAX_BATCH_BYTES} bytes` }],
        });
      },
    }),
    jsonBody(batchRequestSchema),
    async (c) => {
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
