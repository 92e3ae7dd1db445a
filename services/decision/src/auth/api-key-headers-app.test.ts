// The decision app (API_KEYS, no database) under hostile key headers, in-process and as raw bytes
// over TCP to the app served by Bun: accepted, or a 401 JSON naming the header that held no
// readable key, never a 500. The same cases as forecast's (shared/testing/api-key-header-cases.ts):
// both read a key with one function (shared/http/presented-api-key.ts).
import { afterAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import {
  headerCaseAnswers,
  type KeyedRoute,
  rawCaseAnswers,
} from "@pp/shared/testing/api-key-header-cases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

const KEY = "decision-header-key-0123456789";
const KEY_512 = `${"k".repeat(501)}-0123456789`;
const deps = buildDecisionDeps(parseConfig({ API_KEYS: `${KEY},${KEY_512}` }), {
  runtime: "workerd",
  overrides: { logger: createLogger({ sink: () => {} }) },
});
const app = createApp(deps);
/** A known key passes: the route then refuses the body `{}` (400). */
const ROUTE: KeyedRoute = { path: "/decision", body: "{}", acceptedStatus: 400 };
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
afterAll(async () => {
  server.stop(true);
  await deps.audit.close(100);
});

const post = (headers: Record<string, string>) =>
  app.request(ROUTE.path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: ROUTE.body,
  });

test("every hostile key header: accepted, or a 401 JSON naming the header it could not read", async () => {
  expect(KEY_512).toHaveLength(512);
  const { seen, owed, echoed } = await headerCaseAnswers(app, ROUTE, KEY, KEY_512);
  expect(echoed).toEqual([]); // no answer holds the key
  expect(seen).toEqual(owed);
});

test("raw bytes over TCP: NUL is Bun's own 400; others a 401 naming the header, never a 500", async () => {
  const { seen, owed } = await rawCaseAnswers(server.port as number, ROUTE, KEY);
  expect(seen).toEqual(owed);
});

test("a 513-character Bearer key is said to be too long, as X-API-Key's is", async () => {
  const res = await post({ authorization: `Bearer ${KEY_512}x` });
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toBe('Bearer realm="decision"');
  expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
    "Authorization header is not of the form Bearer <key> (one key, no spaces in it, at most 512 characters)",
  );
});
