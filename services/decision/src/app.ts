// The decision service as a Hono app built from injected deps (runtime-neutral).
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { bodySizeLimit } from "@pp/shared/http/body-size-limit.ts";
import { createServiceApp } from "@pp/shared/http/service-app.ts";
import type { Hono } from "hono";
import { requireApiKey } from "./auth/require-api-key.ts";
import type { DecisionDeps } from "./deps.ts";
import { registerAdminPolicies } from "./routes/admin-policies.ts";
import { registerCampaignPages } from "./routes/campaign-pages.ts";
import { registerDecision } from "./routes/decision.ts";
import { registerDecisionBatch } from "./routes/decision-batch.ts";

export function createApp(deps: DecisionDeps): Hono<AppEnv> {
  const app = createServiceApp(deps);
  // /health, /ready and /metrics stay open; everything below needs an API key.
  const auth = requireApiKey(deps.apiKeys);
  const limit = bodySizeLimit(deps.config.MAX_BODY_BYTES);
  app.use("/decision", limit);
  app.use("/admin/*", limit);
  registerDecision(app, deps, auth);
  registerDecisionBatch(app, deps, auth);
  registerAdminPolicies(app, deps, auth);
  // ADMIN-SCOPE: the campaign pages are admin pages; give them the admin-scope check when it lands.
  registerCampaignPages(app, deps, auth);
  return app;
}
