// The admin routes' entries in /openapi.json: policies, API keys, the decision log and the
// campaign pages, each with its answer's schema (beside its route) and every status it answers.
import type { OperationSpec } from "@pp/shared/http/openapi.ts";
import {
  customerDecisionsQuery,
  customerDecisionsSchema,
  customerErasedSchema,
  customerParams,
  prunedSchema,
  pruneSchema,
} from "./admin-decision-log.ts";
import {
  createdKeySchema,
  createKeySchema,
  keyIdParams,
  keyListSchema,
  revokedKeySchema,
  rotatedKeySchema,
  rotateKeySchema,
} from "./admin-keys.ts";
import {
  addPolicyDocSchema,
  listQuery,
  policyListSchema,
  policyViewSchema,
  versionParams,
} from "./admin-policies.ts";
import {
  campaignIdParams,
  campaignLinkSchema,
  campaignListQuery,
  campaignPageQuery,
  linkBody,
} from "./campaign-pages.ts";
import { bodyErrors, bodyLimits, keyed } from "./decision-openapi.ts";

/**
 * What every /admin route may answer besides its own statuses: the body limit guards the whole
 * prefix, so a route that reads no body (a GET, a DELETE, a revoke) still counts one sent to it
 * (a small one is ignored); its 413 was answered and not documented.
 */
const adminKeyed = { ...bodyLimits, ...keyed };

/** The campaign pages' third way in, beside the keys: a signed link's `sig` (with its `exp`). */
export const signedLinkScheme = {
  type: "apiKey",
  in: "query",
  name: "sig",
  description:
    "A signed link's signature, sent with its exp (POST /admin/campaign-links): the campaign pages open without a key",
};
const keyOrSignedLink: Array<Record<string, string[]>> = [
  { apiKey: [] },
  { apiKeyHeader: [] },
  { signedLink: [] },
];

export const adminOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/admin/policies",
    scope: "admin",
    response: policyListSchema,
    responseName: "PolicyList",
    summary: "Every policy version (optionally of one name)",
    query: listQuery,
    responses: { "200": "Policy versions", "400": "Invalid name", ...adminKeyed },
  },
  {
    method: "get",
    path: "/admin/policies/active",
    scope: "admin",
    response: policyViewSchema,
    responseName: "PolicyVersion",
    summary: "The active policy",
    responses: { "200": "The active policy version", ...adminKeyed },
  },
  {
    method: "post",
    path: "/admin/policies",
    scope: "admin",
    response: policyViewSchema,
    responseName: "PolicyVersion",
    summary: "Store the next version of a policy",
    body: addPolicyDocSchema,
    bodyName: "AddPolicyRequest",
    responses: { "201": "The stored version", ...bodyErrors, ...adminKeyed },
  },
  {
    method: "get",
    path: "/admin/policies/:name/versions/:version",
    scope: "admin",
    response: policyViewSchema,
    responseName: "PolicyVersion",
    summary: "One policy version",
    params: versionParams,
    responses: {
      "200": "The version",
      "400": "Invalid name or version",
      "404": "No such version",
      ...adminKeyed,
    },
  },
  {
    method: "post",
    path: "/admin/policies/:name/versions/:version/activate",
    scope: "admin",
    response: policyViewSchema,
    responseName: "PolicyVersion",
    summary: "Make a policy version the active one",
    params: versionParams,
    responses: {
      "200": "The activated version",
      "400": "Invalid name or version",
      "404": "No such version",
      "409": "The version's stored definition is invalid",
      ...adminKeyed,
    },
  },
  {
    method: "get",
    path: "/admin/keys",
    scope: "admin",
    response: keyListSchema,
    responseName: "KeyList",
    summary:
      "Every API key: id, name, scopes, created, expires, revoked and state (never the key itself)",
    responses: { "200": "The keys", ...adminKeyed },
  },
  {
    method: "post",
    path: "/admin/keys",
    scope: "admin",
    response: createdKeySchema,
    responseName: "CreatedKey",
    summary: "Create an API key (the plain key is in this answer only)",
    body: createKeySchema,
    bodyName: "CreateKeyRequest",
    responses: {
      "201": "The new key",
      ...bodyErrors,
      "409": "A key of this name is in use (rotate it, revoke it first, or choose another name)",
      ...adminKeyed,
    },
  },
  {
    method: "post",
    path: "/admin/keys/:id/rotate",
    scope: "admin",
    response: rotatedKeySchema,
    responseName: "RotatedKey",
    summary: "Replace an API key by a new one with its name and scopes",
    description:
      "The old key keeps working for `grace_hours` (default 24), then expires (401 saying so). A key is rotated once: rotating it again (also at the same time) is a 409; rotate its successor. The body may be omitted.",
    params: keyIdParams,
    body: rotateKeySchema,
    bodyOptional: true,
    bodyName: "RotateKeyRequest",
    responses: {
      "201": "The new key (shown once) and when the old one expires",
      "404": "No active, unexpired key with this id",
      "409": "The key was rotated already: it has a successor",
      ...bodyErrors,
      ...adminKeyed,
    },
  },
  {
    method: "post",
    path: "/admin/keys/:id/revoke",
    scope: "admin",
    response: revokedKeySchema,
    responseName: "RevokedKey",
    summary: "Revoke an API key",
    params: keyIdParams,
    responses: {
      "200": "Revoked",
      "400": "Invalid id",
      "404": "No active key with this id",
      ...adminKeyed,
    },
  },
  {
    method: "get",
    path: "/admin/customers/:id/decisions",
    scope: "admin",
    response: customerDecisionsSchema,
    responseName: "CustomerDecisions",
    summary:
      "What the decision log holds about one customer: decisions (newest first) and parked rows",
    description:
      'Of the id\'s NFC and NFD spellings too ("José" composed and decomposed), and of every letter case once a version was trained with --ignore-id-case, as the erasure (`id_case` says the rule taken; `unknown` with a `warning` when nothing is recorded and the forecast service cannot say). Pages of `limit` decisions; `next_page` holds the `before` and `before_id` of the next page (null on the last).',
    params: customerParams,
    query: customerDecisionsQuery,
    responses: {
      "200": "The customer's decisions and dead letters",
      "400": "Invalid id, limit, before or before_id",
      ...adminKeyed,
    },
  },
  {
    method: "delete",
    path: "/admin/customers/:id/decisions",
    scope: "admin",
    response: customerErasedSchema,
    responseName: "CustomerErased",
    summary: "Erase one customer's decisions and parked rows (one transaction); answers the counts",
    description:
      "Of the id's NFC and NFD spellings too, and of every letter case as `id_case` says: `unknown` (with a `warning`) took the id as given only, as nothing is recorded and the forecast service cannot say; retry once it answers. Decisions about the customer still being made are not written after it (decided before it, or up to 1 s after, on the database's clock). The service's log names the counts, never the customer.",
    params: customerParams,
    responses: { "200": "What was erased", "400": "Invalid id", ...adminKeyed },
  },
  {
    method: "post",
    path: "/admin/decision-log/prune",
    scope: "admin",
    response: prunedSchema,
    responseName: "PruneAnswer",
    summary: "Delete decisions and parked rows older than `older_than_days`",
    description:
      "What DECISION_LOG_RETENTION_DAYS does at start and hourly (on Workers, the Cron Trigger), on demand.",
    body: pruneSchema,
    bodyName: "PruneRequest",
    responses: { "200": "The cutoff and the rows deleted", ...bodyErrors, ...adminKeyed },
  },
  {
    method: "post",
    path: "/admin/campaign-links",
    scope: "admin",
    response: campaignLinkSchema,
    responseName: "CampaignLink",
    summary: "A signed, expiring link to the campaign pages (one campaign or all)",
    body: linkBody,
    bodyName: "CampaignLinkRequest",
    responses: { "200": "The link and its expiry", ...bodyErrors, ...adminKeyed },
  },
  {
    method: "get",
    path: "/campaigns",
    scope: "admin",
    security: keyOrSignedLink,
    summary:
      "A page of campaigns: decisions logged per group and the latest measured result (HTML)",
    description:
      "An admin key, or a signed link (?exp=&sig=) from POST /admin/campaign-links. Campaigns (logged or measured) in campaign id order, `limit` a page (50 by default); the page's \"next page\" link (rel=next) holds `after`, the last id shown, and the signed link's exp and sig (a link to /campaigns opens every page).",
    query: campaignListQuery,
    produces: "text/html",
    responses: { "200": "HTML page", "400": "Invalid after or limit", ...keyed },
  },
  {
    method: "get",
    path: "/campaigns/:id",
    scope: "admin",
    security: keyOrSignedLink,
    summary:
      "One campaign's measured result: incremental effects with intervals, Qini curve (HTML)",
    description: "An admin key, or a signed link (?exp=&sig=) from POST /admin/campaign-links.",
    params: campaignIdParams,
    query: campaignPageQuery,
    produces: "text/html",
    responses: {
      "200": "HTML page",
      "400": "Invalid id or query",
      "404": "No such campaign",
      ...keyed,
    },
  },
];
