// POST /decision: one customer, the candidate actions and a horizon → the chosen action, every
// action ranked with its expected profit and reasons, the policy and model versions. With an
// Idempotency-Key, a retry gets the decision already made (decisions/idempotent-decision.ts).
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { decisionOutcomeMetrics } from "@pp/shared/metrics/decision-outcome-metrics.ts";
import type { Hono, MiddlewareHandler } from "hono";
import { type DecisionAnswer, decideOne } from "../decisions/decide-one.ts";
import {
  type DecisionsInFlight,
  decideIdempotently,
  IDEMPOTENCY_HEADER,
  idempotencyKeyOf,
  keyedResponse,
  replayCounter,
} from "../decisions/idempotent-decision.ts";
import type { DecisionDeps } from "../deps.ts";
import type { DecisionAnswerJson } from "./decision-answers.ts";
import { decisionRequestSchema } from "./decision-schemas.ts";

/** A decision route's guards: the key check, then the body limit (app.ts says why that order). */
/** The key check, the body's size limit, then the refusal of query parameters. */
export type DecisionGuards = [
  MiddlewareHandler<AppEnv>,
  MiddlewareHandler<AppEnv>,
  MiddlewareHandler<AppEnv>,
];

export function registerDecision(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  guards: DecisionGuards,
  /** Keyed requests in flight, shared by both decision routes (one key, one decision). */
  inFlight: DecisionsInFlight,
): void {
  const outcomes = decisionOutcomeMetrics(deps.metrics);
  const replays = replayCounter(deps.metrics);
  app.post("/decision", ...guards, jsonBody(decisionRequestSchema), async (c) => {
    const body = c.req.valid("json");
    const key = idempotencyKeyOf(c.req.header(IDEMPOTENCY_HEADER));
    if (key === null) {
      const answer = await decideOne(deps, body);
      logDecision(c.get("logFields"), answer);
      outcomes.single(answer);
      return c.json(answer satisfies DecisionAnswerJson);
    }
    const caller = c.get("apiKey") ?? "";
    const keyed = await decideIdempotently(deps, inFlight, { caller, key, body });
    if (keyed.decided) {
      logDecision(c.get("logFields"), keyed.decided);
      outcomes.single(keyed.decided);
    } else {
      Object.assign(c.get("logFields"), { decision_id: keyed.decisionId, replayed: true });
      replays.inc({ kind: "single" });
    }
    return keyedResponse(keyed);
  });
}

function logDecision(fields: Record<string, unknown>, answer: DecisionAnswer): void {
  Object.assign(fields, {
    decision_id: answer.decision_id,
    chosen: answer.chosen,
    policy_version: answer.policy.version,
    ...(answer.fallback ? { fallback: answer.fallback.reason } : {}),
  });
}
