// GET /openapi.json (OpenAPI 3.1) and GET /docs of the decision service: every route with the zod
// schemas beside it (bodies, parameters and answers), generated, not copied; the entries are in
// decision-openapi.ts and admin-openapi.ts.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import {
  buildOpenApiDocument,
  keySecuritySchemes,
  type OperationSpec,
} from "@pp/shared/http/openapi.ts";
import {
  operationalOperationSpecs,
  registerOpenApiRoutes,
} from "@pp/shared/http/operational-openapi.ts";
import type { Hono } from "hono";
import type { DecisionDeps } from "../deps.ts";
import { adminOperations, signedLinkScheme } from "./admin-openapi.ts";
import { decisionOperations, exampleDecision } from "./decision-openapi.ts";

export { exampleDecision };

const decisionOperationSpecs: readonly OperationSpec[] = [
  ...decisionOperations,
  ...adminOperations,
  ...operationalOperationSpecs({
    summary:
      "Readiness: the decision log and the forecast service (degraded when forecast is down)",
    responses: { "200": "Ready or degraded", "503": "Not ready (names the failing checks)" },
  }),
];

function openApiDocument(version: string) {
  return buildOpenApiDocument(
    {
      title: "purchase-prediction decision service",
      version,
      description:
        "Turns forecasts into decisions: per customer the action with the highest expected profit under the active policy, or a budgeted selection over many customers; every decision is logged durably. Keys: `Authorization: Bearer <key>` (or `X-API-Key: <key>`, as forecast takes) with the decide or admin scope. Every answer carries `X-Request-Id`; errors have the Error body; a documented path called with another method is a 405 with `Allow`.",
    },
    decisionOperationSpecs,
    { securitySchemes: { ...keySecuritySchemes, signedLink: signedLinkScheme } },
  );
}

export function registerOpenApi(app: Hono<AppEnv>, deps: DecisionDeps): void {
  const document = openApiDocument(deps.version);
  const example = `curl -s localhost:8002/decision -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${JSON.stringify(exampleDecision)}'`;
  registerOpenApiRoutes(app, document, example);
}
