import { expect, test } from "bun:test";
import { Hono } from "hono";
import { sha256Hex } from "../artifacts/sha256.ts";
import { handleError } from "../errors/error-handler.ts";
import type { AppEnv } from "./app-env.ts";
import { constantTimeEqual, envKeyName, requireStaticApiKey } from "./static-api-keys.ts";

const KEYS = ["forecast-key-one-0123456789", "forecast-key-two-0123456789"];

/** The `api_key` a request's log line gets, or the status when it is refused. */
async function loggedKeyName(keys: string[], presented: string | null) {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use(async (c, next) => {
    c.set("logFields", {} as AppEnv["Variables"]["logFields"]);
    await next();
  });
  app.use(requireStaticApiKey(keys, "forecast", "FORECAST_API_KEYS"));
  app.get("/", (c) => c.json({ api_key: c.get("logFields").api_key ?? null }));
  const res = await app.request("/", presented ? { headers: { "x-api-key": presented } } : {});
  return res.status === 200 ? ((await res.json()) as { api_key: string }).api_key : res.status;
}

test("an environment key is logged by its hash, so reordering the list renames nothing", async () => {
  const hash = await sha256Hex(new TextEncoder().encode(KEYS[1] as string));
  const name = await loggedKeyName(KEYS, KEYS[1] as string);
  expect(name).toBe(`env:${hash.slice(0, 8)}`);
  expect(await loggedKeyName([...KEYS].reverse(), KEYS[1] as string)).toBe(name);
  // The decision service names an API_KEYS entry the same way (api-key-ring.ts).
  expect(envKeyName(hash)).toBe(name as string);
  expect(await loggedKeyName(KEYS, "not-a-key")).toBe(401);
  expect(await loggedKeyName(KEYS, null)).toBe(401);
});

// A wrong key read "API key required: send X-API-Key", as if none had been sent.
test("a key sent and not known is said to be not recognised; a missing one, required", async () => {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use(requireStaticApiKey(KEYS, "forecast", "FORECAST_API_KEYS"));
  app.get("/", (c) => c.text("ok"));
  const message = async (headers: Record<string, string>) => {
    const res = await app.request("/", { headers });
    expect(res.status).toBe(401);
    return ((await res.json()) as { error: { message: string } }).error.message;
  };
  // It named API_KEYS, the decision service's variable, on forecast.
  expect(await message({ "x-api-key": "not-a-key" })).toContain(
    "API key not recognised: send a key listed in FORECAST_API_KEYS",
  );
  expect(await message({ authorization: "Bearer not-a-key" })).toContain("API key not recognised");
  expect(await message({})).toContain("API key required: send X-API-Key");
});

test("constantTimeEqual: equal only for identical strings of equal length", () => {
  expect(constantTimeEqual("abcd", "abcd")).toBe(true);
  expect(constantTimeEqual("abcd", "abce")).toBe(false);
  expect(constantTimeEqual("abcd", "abc")).toBe(false);
  expect(constantTimeEqual("", "")).toBe(true);
  expect(constantTimeEqual("", "a")).toBe(false);
});

// The verdict kept on the context for the limiter is reused only by a caller holding the same list.
test("a second key list on the same request compares again: a key of the first is not one of it", async () => {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use(async (c, next) => {
    c.set("logFields", {} as AppEnv["Variables"]["logFields"]);
    await next();
  });
  app.use(requireStaticApiKey([KEYS[0] as string], "forecast", "FORECAST_API_KEYS"));
  app.use(requireStaticApiKey([KEYS[1] as string], "forecast", "OTHER_KEYS"));
  app.get("/", (c) => c.text("ok"));
  const res = await app.request("/", { headers: { "x-api-key": KEYS[0] as string } });
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
    "API key not recognised: send a key listed in OTHER_KEYS",
  );
});
