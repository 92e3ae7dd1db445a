// Admin API for policies (a key with the admin scope, checked in app.ts): list, inspect, add a version, activate a version.
//   GET  /admin/policies                              all versions (?name= to filter)
//   GET  /admin/policies/active                       the active policy
//   POST /admin/policies  {name, definition}          store the next version of `name` (201)
//   GET  /admin/policies/:name/versions/:version      one version
//   POST /admin/policies/:name/versions/:version/activate
import { decimalIdParam } from "@pp/shared/contracts/decimal-id.ts";
import { isPlainObject } from "@pp/shared/errors/unknown-fields.ts";
import { isStorableText, jsonBody, unstorableTextError } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { pathParams } from "@pp/shared/http/path-params.ts";
import { noQueryParams, queryParams } from "@pp/shared/http/query-params.ts";
import {
  newPolicyDefinitionSchema,
  storedPolicyDefinitionSchema,
} from "@pp/shared/policy/policy-definition.ts";
import type { Hono } from "hono";
import * as z from "zod";
import type { DecisionDeps } from "../deps.ts";
import type { PolicyView } from "../policy/policy-catalog.ts";

const addPolicySchema = z.strictObject({
  name: z.string().min(1).max(128),
  // The object as sent, not a copy: z.record copied it key by key, and `copy["__proto__"] = …`
  // set a prototype, so a "__proto__" member vanished before the unknown-field check saw it.
  definition: z.unknown().refine(isPlainObject, { error: "must be an object" }),
});

/**
 * The request as /openapi.json documents it: the definition's fields (uplifts with their
 * `learned_from`, …) as a new definition takes them. Validation reads the object as sent
 * (addPolicySchema) and checks it with parseNewPolicyDefinition, the same schema.
 */
export const addPolicyDocSchema = z.strictObject({
  name: addPolicySchema.shape.name,
  definition: newPolicyDefinitionSchema,
});

const policyName = z.string().min(1).max(128).refine(isStorableText, unstorableTextError);

export const versionParams = z.object({
  name: policyName,
  version: decimalIdParam("a policy version"),
});

export const listQuery = z.strictObject({ name: policyName.optional() });

/** A stored policy version as the admin routes answer it. */
export const policyViewSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  active: z.boolean(),
  created_at: z.string(),
  activated_at: z.string().nullable(),
  definition: storedPolicyDefinitionSchema.describe("The policy definition as stored"),
});
export const policyListSchema = z.object({ policies: z.array(policyViewSchema) });

/** The policy catalog's view, typed as the document has it (its definition is an object). */
const asDocumented = (view: PolicyView) => view as z.infer<typeof policyViewSchema>;

export function registerAdminPolicies(app: Hono<AppEnv>, deps: DecisionDeps): void {
  app.get("/admin/policies", queryParams(listQuery), async (c) =>
    c.json({
      policies: (await deps.policies.list(c.req.valid("query").name)).map(asDocumented),
    } satisfies z.infer<typeof policyListSchema>),
  );

  app.get("/admin/policies/active", noQueryParams(), async (c) => {
    const active = await deps.policies.active();
    return c.json(await deps.policies.get(active.name, active.version));
  });

  app.post("/admin/policies", jsonBody(addPolicySchema), async (c) => {
    const { name, definition } = c.req.valid("json");
    const added = await deps.policies.add(name, definition);
    c.get("logFields").policy = `${added.name}@${added.version}`;
    return c.json(added, 201);
  });

  app.get(
    "/admin/policies/:name/versions/:version",
    pathParams(versionParams),
    noQueryParams(),
    async (c) => {
      const { name, version } = c.req.valid("param");
      return c.json(await deps.policies.get(name, version));
    },
  );

  app.post(
    "/admin/policies/:name/versions/:version/activate",
    pathParams(versionParams),
    async (c) => {
      const { name, version } = c.req.valid("param");
      const activated = await deps.policies.activate(name, version);
      deps.logger.info("policy activated", { policy: name, version });
      return c.json(activated);
    },
  );
}
