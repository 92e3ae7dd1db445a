// Admin API for API keys (a key with the admin scope, checked in app.ts), so keys can be managed
// while the service runs (PGlite serves one process, so `npm run keys` needs it stopped):
//   GET  /admin/keys                          every key: id, name, scopes, created, revoked
//   POST /admin/keys {name, scopes}           a new key (201); the plain key is in this answer only
//   POST /admin/keys/:id/revoke               revokes it (404 when there is no such active key)
import { zValidator } from "@hono/zod-validator";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { jsonBody, validationHook } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import type { Hono } from "hono";
import { z } from "zod";
import { API_KEY_SCOPES } from "../auth/api-key-scopes.ts";
import { ApiKeyStore, KEY_NAME, type KeyListing } from "../auth/api-key-store.ts";
import type { DecisionDeps } from "../deps.ts";

export const createKeySchema = z.object({
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
});

export const keyIdParams = z.object({
  id: z.coerce.number({ error: "must be a number" }).int().min(1).max(2_147_483_647),
});

const view = (k: KeyListing) => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  created_at: k.createdAt.toISOString(),
  revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
});

export function registerAdminKeys(app: Hono<AppEnv>, deps: DecisionDeps): void {
  const store = async () => new ApiKeyStore(await deps.database());
  app.get("/admin/keys", async (c) => c.json({ keys: (await (await store()).list()).map(view) }));
  app.post("/admin/keys", jsonBody(createKeySchema), async (c) => {
    const { name, scopes } = c.req.valid("json");
    const created = await (await store()).create(name, scopes as typeof API_KEY_SCOPES);
    await deps.apiKeys.reload();
    deps.logger.info("api key created", { key_id: created.id, key_name: name, scopes });
    return c.json(
      { id: created.id, name: created.name, scopes: created.scopes, key: created.key },
      201,
    );
  });
  app.post(
    "/admin/keys/:id/revoke",
    zValidator("param", keyIdParams, validationHook),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await (await store()).revoke(id))) {
        throw new AppError("not_found", `No active API key with id ${id}`);
      }
      await deps.apiKeys.reload();
      deps.logger.info("api key revoked", { key_id: id });
      return c.json({ id, revoked: true });
    },
  );
}
