// Middleware: the route needs `Authorization: Bearer KEY` with a valid key, else 401 with a
// fixed message (the presented key is never echoed or logged). The key's name goes to the log.

import { AppError } from "@pp/shared/errors/app-error.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import type { MiddlewareHandler } from "hono";
import type { ApiKeyRing } from "./api-key-ring.ts";

const challenge = { "WWW-Authenticate": 'Bearer realm="decision"' };

export function requireApiKey(ring: ApiKeyRing): MiddlewareHandler<AppEnv> {
  return async function apiKeyAuth(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new AppError("unauthorized", "API key required: send Authorization: Bearer <key>", {
        headers: challenge,
      });
    }
    const name = await ring.verify(match[1] as string);
    if (name === null) {
      throw new AppError("unauthorized", "Invalid API key", { headers: challenge });
    }
    c.get("logFields").api_key = name;
    await next();
  };
}
