// POST /decision/batch: up to 10,000 customers, the actions, a horizon and a budget → the
// selection that maximises total expected profit within the budget (exact or with its bound).
// With an Idempotency-Key, a retry gets the batch already decided (decisions/idempotent-decision.ts).
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { decisionOutcomeMetrics } from "@pp/shared/metrics/decision-outcome-metrics.ts";
import type { Hono } from "hono";
import { type BatchAnswer, decideBatch } from "../decisions/decide-batch.ts";
import {
  type DecisionsInFlight,
  decideBatchIdempotently,
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  keyedResponse,
  replayCounter,
} from "../decisions/idempotent-decision.ts";
import type { DecisionDeps } from "../deps.ts";
import type { DecisionGuards } from "./decision.ts";
import type { BatchAnswerJson } from "./decision-answers.ts";
import { batchRequestFastPath, batchRequestSchema } from "./decision-schemas.ts";

export function registerDecisionBatch(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  guards: DecisionGuards,
  /** Keyed requests in flight, shared by both decision routes (one key, one decision). */
  inFlight: DecisionsInFlight,
): void {
  const outcomes = decisionOutcomeMetrics(deps.metrics);
  const replays = replayCounter(deps.metrics);
  app.post(
    "/decision/batch",
    ...guards,
    // The body limit is MAX_BODY_BYTES (app.ts), the same 10 MiB default as /forecast: the
    // customers are forwarded there, so a batch it accepts is never refused upstream for size.
    jsonBody(batchRequestSchema, { fastPath: batchRequestFastPath }),
    async (c) => {
      const body = c.req.valid("json");
      const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
      if (key === null) {
        const answer = await decideBatch(deps, body);
        logBatch(c.get("logFields"), answer);
        outcomes.batch(answer, body.customers.length);
        return c.json(answer satisfies BatchAnswerJson);
      }
      const caller = c.get("apiKey") ?? "";
      const keyed = await decideBatchIdempotently(deps, inFlight, { caller, key, body });
      if (keyed.decided) {
        logBatch(c.get("logFields"), keyed.decided);
        outcomes.batch(keyed.decided, body.customers.length);
      } else {
        Object.assign(c.get("logFields"), { replayed: true });
        replays.inc({ kind: "batch" });
      }
      return keyedResponse(keyed);
    },
  );
}

function logBatch(fields: Record<string, unknown>, answer: BatchAnswer): void {
  Object.assign(fields, {
    batch_id: answer.batch_id,
    customers: answer.considered,
    selected: answer.totals.customers,
  });
}
