// Admin API for API keys (a key with the admin scope, checked in app.ts), so keys can be managed
// while the service runs (PGlite serves one process, so `npm run keys` needs it stopped):
//   GET  /admin/keys                          every key: id, name, scopes, created, expires, revoked,
//                                             replaced_by (its successor's id after a rotation)
//   POST /admin/keys {name, scopes, expires_in_days?}
//                                             a new key (201); the plain key is in this answer only
//   POST /admin/keys/:id/rotate {grace_hours?, expires_in_days?}
//                                             a new key with its name and scopes (201); the old one
//                                             works for grace_hours more (default 24), then expires;
//                                             409 when it was rotated already (one successor per key)
//   POST /admin/keys/:id/revoke               revokes it (404 when there is no such active key)
// Each answers 503 (Retry-After) while the database is away.
import { decimalIdParam } from "@pp/shared/contracts/decimal-id.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { jsonBody } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { pathParams } from "@pp/shared/http/path-params.ts";
import { noQueryParams } from "@pp/shared/http/query-params.ts";
import type { Hono } from "hono";
import * as z from "zod";
import { API_KEY_SCOPES } from "../auth/api-key-scopes.ts";
import {
  ApiKeyStore,
  type CreatedKey,
  expiryAfterDays,
  KEY_LIFETIME_DAYS_MAX,
  KEY_NAME,
  type KeyListing,
  keyState,
  ROTATION_GRACE_HOURS_DEFAULT,
  ROTATION_GRACE_HOURS_MAX,
} from "../auth/api-key-store.ts";
import type { DecisionDeps } from "../deps.ts";

const expiresInDays = z
  .number({ error: "must be a number of days" })
  .int({ error: "must be a whole number of days" })
  .min(1, { error: "must be at least 1" })
  .max(KEY_LIFETIME_DAYS_MAX, { error: `must be at most ${KEY_LIFETIME_DAYS_MAX} (ten years)` })
  .optional();

export const createKeySchema = z.strictObject({
  name: z.string().regex(KEY_NAME, {
    error: "must be 1-128 letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
  }),
  scopes: z
    .array(
      z.enum(API_KEY_SCOPES as [string, ...string[]], { error: 'must be "decide" or "admin"' }),
    )
    .min(1, { error: "at least one scope" })
    .max(2)
    .default(["decide"]),
  expires_in_days: expiresInDays,
});

export const rotateKeySchema = z.strictObject({
  grace_hours: z
    .number({ error: "must be a number of hours" })
    .min(0, { error: "must be 0 (the old key stops now) or more" })
    .max(ROTATION_GRACE_HOURS_MAX, {
      error: `must be at most ${ROTATION_GRACE_HOURS_MAX} (30 days)`,
    })
    .default(ROTATION_GRACE_HOURS_DEFAULT),
  /** The new key's lifetime; by default the old key's (created to expiry), or none. */
  expires_in_days: expiresInDays,
});

export const keyIdParams = z.object({ id: decimalIdParam("a key id") });

const isoTime = z.string().describe("ISO 8601 (UTC)");

const keyViewSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES as [string, ...string[]])),
  created_at: isoTime,
  expires_at: isoTime.nullable(),
  revoked_at: isoTime.nullable(),
  replaced_by: z.number().int().nullable().describe("The successor's id after a rotation"),
  state: z.enum(["active", "expired", "revoked"]),
});
export const keyListSchema = z.object({ keys: z.array(keyViewSchema) });

export const createdKeySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES as [string, ...string[]])),
  expires_at: isoTime.nullable(),
  key: z.string().describe("The plain key: in this answer only"),
});
export const rotatedKeySchema = createdKeySchema.extend({
  replaced: z.object({ id: z.number().int(), expires_at: isoTime }),
});
export const revokedKeySchema = z.object({
  id: z.number().int(),
  revoked: z.literal(true),
  elsewhere_within_s: z
    .number()
    .describe(
      "Refused by this process at once; by other processes of the service within about this many seconds (they check the keys that often, or are told at once on PostgreSQL)",
    ),
});

const view = (k: KeyListing): z.infer<typeof keyViewSchema> => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  created_at: k.createdAt.toISOString(),
  expires_at: k.expiresAt ? k.expiresAt.toISOString() : null,
  revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
  replaced_by: k.replacedBy,
  state: keyState(k),
});

const createdView = (k: CreatedKey): z.infer<typeof createdKeySchema> => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  expires_at: k.expiresAt ? k.expiresAt.toISOString() : null,
  key: k.key,
});

export function registerAdminKeys(app: Hono<AppEnv>, deps: DecisionDeps): void {
  /** The key store on the database (the database away is a 503 from the error handler). */
  const keyStore = async () => new ApiKeyStore(await deps.database());
  app.get("/admin/keys", noQueryParams(), async (c) =>
    c.json({ keys: (await (await keyStore()).list()).map(view) } satisfies z.infer<
      typeof keyListSchema
    >),
  );
  app.post("/admin/keys", jsonBody(createKeySchema), async (c) => {
    const { name, scopes, expires_in_days: days } = c.req.valid("json");
    const expiresAt = expiryAfterDays(days);
    const created = await (await keyStore()).create(
      name,
      scopes as typeof API_KEY_SCOPES,
      expiresAt,
    );
    await deps.apiKeys.reload();
    deps.logger.info("api key created", { key_id: created.id, key_name: name, scopes });
    return c.json(createdView(created), 201);
  });
  app.post(
    "/admin/keys/:id/rotate",
    pathParams(keyIdParams),
    jsonBody(rotateKeySchema, { optional: true }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { grace_hours, expires_in_days: days } = c.req.valid("json");
      const rotated = await (await keyStore()).rotate(id, {
        graceHours: grace_hours,
        lifetimeDays: days,
      });
      if (!rotated) throw new AppError("not_found", `No active, unexpired API key with id ${id}`);
      await deps.apiKeys.reload();
      const { created, oldExpiresAt } = rotated;
      deps.logger.info("api key rotated", { key_id: id, new_key_id: created.id });
      const answer: z.infer<typeof rotatedKeySchema> = {
        ...createdView(created),
        replaced: { id, expires_at: oldExpiresAt.toISOString() },
      };
      return c.json(answer, 201);
    },
  );
  app.post("/admin/keys/:id/revoke", pathParams(keyIdParams), async (c) => {
    const { id } = c.req.valid("param");
    if (!(await (await keyStore()).revoke(id))) {
      throw new AppError("not_found", `No active API key with id ${id}`);
    }
    await deps.apiKeys.reload();
    deps.logger.info("api key revoked", { key_id: id });
    return c.json({
      id,
      revoked: true,
      elsewhere_within_s: Math.ceil(deps.apiKeys.checkMs / 1000),
    } satisfies z.infer<typeof revokedKeySchema>);
  });
}
