// The decision service as a Hono app built from injected deps (runtime-neutral).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { bodySizeLimit } from "@pp/shared/http/body-size-limit.ts";
import { noQueryParams, writesTakeNoQuery } from "@pp/shared/http/query-params.ts";
import { createServiceApp } from "@pp/shared/http/service-app.ts";
import type { Hono } from "hono";
import { requireApiKey } from "./auth/require-api-key.ts";
import { DecisionsInFlight } from "./decisions/idempotent-decision.ts";
import type { DecisionDeps } from "./deps.ts";
import { customerPathUnlogged, registerAdminDecisionLog } from "./routes/admin-decision-log.ts";
import { registerAdminKeys } from "./routes/admin-keys.ts";
import { registerAdminPolicies } from "./routes/admin-policies.ts";
import { registerCampaignPages } from "./routes/campaign-pages.ts";
import { type DecisionGuards, registerDecision } from "./routes/decision.ts";
import { registerDecisionBatch } from "./routes/decision-batch.ts";
import { registerOpenApi } from "./routes/openapi.ts";

export function createApp(deps: DecisionDeps): Hono<AppEnv> {
  const app = createServiceApp(deps);
  // /health, /ready, /metrics, /openapi.json and /docs stay open; decisions need the decide scope, /admin/* admin.
  const limit = bodySizeLimit(deps.config.MAX_BODY_BYTES, "", deps.config.BODY_READ_TIMEOUT_MS);
  // The key first, then the body: a streamed body is read to count it, and a client without a key
  // could make the service take 10 MiB before its 401.
  const decide: DecisionGuards = [
    requireApiKey(deps.apiKeys, "decide", deps.keyRateLimiter),
    limit,
    noQueryParams(),
  ];
  const admin = requireApiKey(deps.apiKeys, "admin", deps.keyRateLimiter);
  app.use("/admin/customers/*", customerPathUnlogged); // first: its 401s and 413s log too
  app.use("/admin/*", admin);
  app.use("/admin/*", limit);
  // Writes take no query parameters (the GET routes check their own).
  app.use("/admin/*", writesTakeNoQuery());
  const inFlight = new DecisionsInFlight();
  registerDecision(app, deps, decide, inFlight);
  registerDecisionBatch(app, deps, decide, inFlight);
  registerAdminPolicies(app, deps);
  registerAdminKeys(app, deps);
  registerAdminDecisionLog(app, deps);
  // Campaign pages are admin pages (an admin key, or a signed link the route checks itself).
  registerCampaignPages(app, deps, admin);
  registerOpenApi(app, deps);
  return app;
}
