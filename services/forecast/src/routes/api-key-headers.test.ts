// The forecast app with FORECAST_API_KEYS set, under hostile key headers (in-process, and raw
// bytes over TCP to the app served by Bun): a key is read as the decision service reads it
// (shared/http/presented-api-key.ts). Before, X-API-Key was cut to 512 characters (a 513-character
// one whose first 512 were a key was accepted), a key with a space in it or Basic alone was "not
// recognised" / "required" instead of a 401 naming the header that held no readable key.
import { afterAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import {
  headerCaseAnswers,
  type KeyedRoute,
  rawCaseAnswers,
} from "@pp/shared/testing/api-key-header-cases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";

const KEY = "forecast-header-key-0123456789";
const KEY_512 = `${"k".repeat(501)}-0123456789`;
const app = createApp(
  buildForecastDeps(parseConfig({ FORECAST_API_KEYS: `${KEY},${KEY_512}` }), {
    runtime: "test",
    overrides: { logger: createLogger({ sink: () => {} }) },
  }),
);
/** A known key passes: the route then refuses the body `{}` (400). */
const ROUTE: KeyedRoute = { path: "/forecast", body: "{}", acceptedStatus: 400 };
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
afterAll(() => server.stop(true));

const post = (headers: Record<string, string>) =>
  app.request(ROUTE.path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: ROUTE.body,
  });

test("every hostile key header: accepted, or a 401 JSON naming the header it could not read", async () => {
  const { seen, owed, echoed } = await headerCaseAnswers(app, ROUTE, KEY, KEY_512);
  expect(echoed).toEqual([]); // no answer holds the key
  expect(seen).toEqual(owed);
});

test("raw bytes over TCP: NUL is Bun's own 400; others a 401 naming the header, never a 500", async () => {
  const { seen, owed } = await rawCaseAnswers(server.port as number, ROUTE, KEY);
  expect(seen).toEqual(owed);
});

test("the 401s' messages and challenge", async () => {
  const said = async (headers: Record<string, string>) => {
    const res = await post(headers);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="forecast"');
    return ((await res.json()) as { error: { message: string } }).error.message;
  };
  expect(await said({ "x-api-key": "a b" })).toBe(
    "X-API-Key header is not one key (no spaces in it, at most 512 characters)",
  );
  expect(await said({ authorization: "Basic dXNlcjpwYXNz" })).toBe(
    "Authorization header is not of the form Bearer <key> (one key, no spaces in it, at most 512 characters)",
  );
  expect(await said({})).toBe(
    "API key required: send X-API-Key: <key> (or Authorization: Bearer <key>)",
  );
  expect(await said({ "x-api-key": "wrong" })).toBe(
    "API key not recognised: send a key listed in FORECAST_API_KEYS",
  );
});
