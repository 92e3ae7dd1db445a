// Decision takes a key the way forecast does: `Authorization: Bearer KEY` or `X-API-Key: KEY`
// (Bearer first when both are sent). Decision refused X-API-Key with a 401, so a client sharing
// its code between the two services could not call both.
import { expect, test } from "bun:test";
import { handleError } from "@pp/shared/errors/error-handler.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { Hono } from "hono";
import type { ApiKeyRing, KeyVerdict } from "./api-key-ring.ts";
import { requireApiKey } from "./require-api-key.ts";

const ring = {
  async check(presented: string): Promise<KeyVerdict> {
    if (presented === "good-key")
      return { kind: "valid", key: { name: "shop", scopes: ["decide"] } };
    return { kind: "unknown" };
  },
} as unknown as ApiKeyRing;

function app() {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("logFields", {});
    c.set("logger", createLogger({ sink: () => {} }));
    await next();
  });
  app.onError(handleError);
  app.post("/decision", requireApiKey(ring, "decide"), (c) => c.json({ key: c.get("apiKey") }));
  return app;
}

const call = (headers: Record<string, string>) =>
  app().request("/decision", { method: "POST", headers });

test("X-API-Key is accepted as Authorization: Bearer is", async () => {
  const bearer = await call({ authorization: "Bearer good-key" });
  expect({ status: bearer.status, body: await bearer.json() }).toEqual({
    status: 200,
    body: { key: "shop" },
  });
  const header = await call({ "x-api-key": "good-key" });
  expect({ status: header.status, body: await header.json() }).toEqual({
    status: 200,
    body: { key: "shop" },
  });
});

test("a wrong X-API-Key is a 401; Bearer wins when both are sent; none: 401 naming both", async () => {
  expect((await call({ "x-api-key": "bad-key" })).status).toBe(401);
  expect((await call({ authorization: "Bearer bad-key", "x-api-key": "good-key" })).status).toBe(
    401,
  );
  const none = await call({});
  expect(none.status).toBe(401);
  expect(await none.text()).toContain("X-API-Key");
});

test("an Authorization of another scheme (a proxy's Basic) does not hide X-API-Key, as on forecast", async () => {
  const res = await call({ authorization: "Basic dXNlcjpwYXNz", "x-api-key": "good-key" });
  expect({ status: res.status, body: await res.json() }).toEqual({
    status: 200,
    body: { key: "shop" },
  });
  const basicOnly = await call({ authorization: "Basic dXNlcjpwYXNz" });
  expect(await basicOnly.text()).toContain("not of the form Bearer");
});
