// POST /decision: one customer, the candidate actions and a horizon → the chosen action, every
// action ranked with its expected profit and reasons, the policy and model versions.
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { decisionOutcomeMetrics } from "@pp/shared/metrics/decision-outcome-metrics.ts";
import type { Hono, MiddlewareHandler } from "hono";
import { decideOne } from "../decisions/decide-one.ts";
import type { DecisionDeps } from "../deps.ts";
import { decisionRequestSchema } from "./decision-schemas.ts";

export function registerDecision(
  app: Hono<AppEnv>,
  deps: DecisionDeps,
  auth: MiddlewareHandler<AppEnv>,
): void {
  const outcomes = decisionOutcomeMetrics(deps.metrics);
  app.post("/decision", auth, jsonBody(decisionRequestSchema), async (c) => {
    const answer = await decideOne(deps, c.req.valid("json"));
    outcomes.single(answer);
    Object.assign(c.get("logFields"), {
      decision_id: answer.decision_id,
      chosen: answer.chosen,
      policy_version: answer.policy.version,
      ...(answer.fallback ? { fallback: answer.fallback.reason } : {}),
    });
    return c.json(answer);
  });
}
