// GET /openapi.json (OpenAPI 3.1) and GET /docs of the decision service: every route with the zod
// schemas its module validates with (bodies, path and query parameters), generated, not copied.
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { buildOpenApiDocument, type OperationSpec } from "@pp/shared/http/openapi.ts";
import {
  operationalOperationSpecs,
  registerOpenApiRoutes,
} from "@pp/shared/http/operational-openapi.ts";
import type { Hono } from "hono";
import { idempotencyHeaders } from "../decisions/idempotent-decision.ts";
import type { DecisionDeps } from "../deps.ts";
import { customerDecisionsQuery, customerParams, pruneSchema } from "./admin-decision-log.ts";
import { createKeySchema, keyIdParams, rotateKeySchema } from "./admin-keys.ts";
import { addPolicySchema, listQuery, versionParams } from "./admin-policies.ts";
import { campaignIdParams, linkBody } from "./campaign-pages.ts";
import {
  batchRequestSchema,
  decisionRequestSchema,
  MAX_BATCH_CUSTOMERS,
} from "./decision-schemas.ts";

export const exampleDecision = {
  customer: { id: "c-42", summary: { frequency: 8, recency: 34, T: 36, monetary: 35 } },
  horizon: { value: 13, unit: "week" },
  actions: [
    { id: "email-10pct", cost: 0.5, uplift: 0.15, margin: 8 },
    { id: "call", cost: 6, uplift: 0.4, margin: 8 },
  ],
};

/** What every keyed route may answer besides its own statuses. */
const keyed = {
  "401": "No, unknown or revoked API key",
  "403": "The key lacks the scope",
  "429": "Rate limited (per key)",
};
const bodyErrors = {
  "400": "Malformed JSON or invalid fields (details list path and problem per field)",
  "413": "Body larger than MAX_BODY_BYTES",
  "415": "Content-Type is not application/json",
};

const decisionOperations: OperationSpec[] = [
  {
    method: "post",
    path: "/decision",
    scope: "decide",
    produces: "application/json",
    summary: "Choose the action for one customer (expected profit under the active policy)",
    description:
      "The customer by id (the forecast model's customers), summary or transactions; every action ranked with its expected profit, eligibility and reasons; `none` is always a candidate. The decision is in the durable decision log before it is answered.",
    body: decisionRequestSchema,
    bodyName: "DecisionRequest",
    bodyExample: exampleDecision,
    headers: idempotencyHeaders,
    responses: {
      "200": "The chosen action, the ranking, the policy and model versions",
      ...bodyErrors,
      "422": "The Idempotency-Key was used for another request, or the customer cannot be scored",
      ...keyed,
      "503": "The decision log cannot take the decision now (nothing was decided)",
    },
  },
  {
    method: "post",
    path: "/decision/batch",
    scope: "decide",
    produces: "application/json",
    summary: `Choose actions for up to ${MAX_BATCH_CUSTOMERS} customers within a budget`,
    description:
      "The selection that maximises total expected profit within the budget (exact, or with its bound).",
    body: batchRequestSchema,
    bodyName: "DecisionBatchRequest",
    headers: idempotencyHeaders,
    responses: {
      "200": "The selection, per-customer choices and totals",
      ...bodyErrors,
      "422": "The Idempotency-Key was used for another request",
      ...keyed,
      "503": "The decision log cannot take the batch now (nothing was decided)",
    },
  },
];

const adminOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/admin/policies",
    scope: "admin",
    produces: "application/json",
    summary: "Every policy version (optionally of one name)",
    query: listQuery,
    responses: { "200": "Policy versions", "400": "Invalid name", ...keyed },
  },
  {
    method: "get",
    path: "/admin/policies/active",
    scope: "admin",
    produces: "application/json",
    summary: "The active policy",
    responses: { "200": "The active policy version", ...keyed },
  },
  {
    method: "post",
    path: "/admin/policies",
    scope: "admin",
    produces: "application/json",
    summary: "Store the next version of a policy",
    body: addPolicySchema,
    bodyName: "AddPolicyRequest",
    responses: { "201": "The stored version", ...bodyErrors, ...keyed },
  },
  {
    method: "get",
    path: "/admin/policies/:name/versions/:version",
    scope: "admin",
    produces: "application/json",
    summary: "One policy version",
    params: versionParams,
    responses: {
      "200": "The version",
      "400": "Invalid name or version",
      "404": "No such version",
      ...keyed,
    },
  },
  {
    method: "post",
    path: "/admin/policies/:name/versions/:version/activate",
    scope: "admin",
    produces: "application/json",
    summary: "Make a policy version the active one",
    params: versionParams,
    responses: {
      "200": "The activated version",
      "400": "Invalid name or version",
      "404": "No such version",
      ...keyed,
    },
  },
  {
    method: "get",
    path: "/admin/keys",
    scope: "admin",
    produces: "application/json",
    summary:
      "Every API key: id, name, scopes, created, expires, revoked and state (never the key itself)",
    responses: { "200": "The keys", ...keyed },
  },
  {
    method: "post",
    path: "/admin/keys",
    scope: "admin",
    produces: "application/json",
    summary: "Create an API key (the plain key is in this answer only)",
    body: createKeySchema,
    bodyName: "CreateKeyRequest",
    responses: { "201": "The new key", ...bodyErrors, ...keyed },
  },
  {
    method: "post",
    path: "/admin/keys/:id/rotate",
    scope: "admin",
    produces: "application/json",
    summary: "Replace an API key by a new one with its name and scopes",
    description:
      "The old key keeps working for `grace_hours` (default 24), then expires (401 saying so). A key is rotated once: rotating it again (also at the same time) is a 409; rotate its successor. The body may be omitted.",
    params: keyIdParams,
    body: rotateKeySchema,
    bodyName: "RotateKeyRequest",
    responses: {
      "201": "The new key (shown once) and when the old one expires",
      "404": "No active, unexpired key with this id",
      "409": "The key was rotated already: it has a successor",
      ...bodyErrors,
      ...keyed,
    },
  },
  {
    method: "post",
    path: "/admin/keys/:id/revoke",
    scope: "admin",
    produces: "application/json",
    summary: "Revoke an API key",
    params: keyIdParams,
    responses: {
      "200": "Revoked",
      "400": "Invalid id",
      "404": "No active key with this id",
      ...keyed,
    },
  },
  {
    method: "get",
    path: "/admin/customers/:id/decisions",
    scope: "admin",
    produces: "application/json",
    summary:
      "What the decision log holds about one customer: decisions (newest first) and parked rows",
    description:
      "Pages of `limit` decisions; `next_page` holds the `before` and `before_id` of the next page (null on the last).",
    params: customerParams,
    query: customerDecisionsQuery,
    responses: {
      "200": "The customer's decisions and dead letters",
      "400": "Invalid id, limit, before or before_id",
      ...keyed,
    },
  },
  {
    method: "delete",
    path: "/admin/customers/:id/decisions",
    scope: "admin",
    produces: "application/json",
    summary: "Erase one customer's decisions and parked rows (one transaction); answers the counts",
    description:
      "Decisions about the customer still being made are not written after it (decided before it, or up to 1 s after, on the database's clock). The service's log names the counts, never the customer.",
    params: customerParams,
    responses: { "200": "What was erased", "400": "Invalid id", ...keyed },
  },
  {
    method: "post",
    path: "/admin/decision-log/prune",
    scope: "admin",
    produces: "application/json",
    summary: "Delete decisions and parked rows older than `older_than_days`",
    description:
      "What DECISION_LOG_RETENTION_DAYS does at start and hourly (on Workers, the Cron Trigger), on demand.",
    body: pruneSchema,
    bodyName: "PruneRequest",
    responses: { "200": "The cutoff and the rows deleted", ...bodyErrors, ...keyed },
  },
  {
    method: "post",
    path: "/admin/campaign-links",
    scope: "admin",
    produces: "application/json",
    summary: "A signed, expiring link to the campaign pages (one campaign or all)",
    body: linkBody,
    bodyName: "CampaignLinkRequest",
    responses: { "200": "The link and its expiry", ...bodyErrors, ...keyed },
  },
  {
    method: "get",
    path: "/campaigns",
    scope: "admin",
    summary: "Campaigns: decisions logged per group and the latest measured result (HTML)",
    description: "An admin key, or a signed link (?exp=&sig=) from POST /admin/campaign-links.",
    produces: "text/html",
    responses: { "200": "HTML page", ...keyed },
  },
  {
    method: "get",
    path: "/campaigns/:id",
    scope: "admin",
    summary:
      "One campaign's measured result: incremental effects with intervals, Qini curve (HTML)",
    description: "An admin key, or a signed link (?exp=&sig=) from POST /admin/campaign-links.",
    params: campaignIdParams,
    produces: "text/html",
    responses: { "200": "HTML page", "400": "Invalid id", "404": "No such campaign", ...keyed },
  },
];

export const decisionOperationSpecs: readonly OperationSpec[] = [
  ...decisionOperations,
  ...adminOperations,
  ...operationalOperationSpecs({
    summary:
      "Readiness: the decision log and the forecast service (degraded when forecast is down)",
    responses: { "200": "Ready or degraded", "503": "Not ready (names the failing checks)" },
  }),
];

export function openApiDocument(version: string) {
  return buildOpenApiDocument(
    {
      title: "purchase-prediction decision service",
      version,
      description:
        "Turns forecasts into decisions: per customer the action with the highest expected profit under the active policy, or a budgeted selection over many customers; every decision is logged durably. Keys: `Authorization: Bearer <key>` with the decide or admin scope.",
    },
    decisionOperationSpecs,
  );
}

export function registerOpenApi(app: Hono<AppEnv>, deps: DecisionDeps): void {
  const document = openApiDocument(deps.version);
  const example = `curl -s localhost:8002/decision -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${JSON.stringify(exampleDecision)}'`;
  registerOpenApiRoutes(app, document, example);
}
