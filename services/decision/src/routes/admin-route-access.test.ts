// Every route of the decision app (enumerated from the app itself, not a list kept by hand) against
// a real decision process: the keyed ones refuse no key, a made-up key, a revoked admin key and
// an admin key expired by rotation (401), /admin/* and the campaign pages a decide-only key (403); and each request to an admin
// route takes one token of its key's rate limit, campaign links included.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import {
  API_KEY,
  type ServiceProcesses,
  startServiceProcesses,
} from "../../../testing/service-processes.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps } from "../deps.ts";

const OPEN = new Set(["/health", "/ready", "/metrics", "/openapi.json", "/docs"]);
/** One admin key per admin route (each its own rate-limit bucket), and one to manage keys. */
const ADMINS = Array.from({ length: 17 }, (_, i) => `admin-route-access-${i}-0123456789`);
const MANAGER = ADMINS[16] as string;
let services: ServiceProcesses;
let routes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  const deps = buildDecisionDeps(parseConfig({ API_KEYS: "x" }), {
    runtime: "test",
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const all = createApp(deps).routes.filter((r) => r.method !== "ALL");
  routes = [...new Map(all.map((r) => [`${r.method} ${r.path}`, r])).values()];
  await deps.audit.close(1000);
  services = await startServiceProcesses({ decision: { ADMIN_API_KEYS: ADMINS.join(",") } });
}, 180_000);

afterAll(() => services?.stop());

const concrete = (path: string) =>
  path.replace(":id", "1").replace(":name", "default").replace(":version", "1");

async function status(method: string, path: string, key?: string, base = services.decision.base) {
  const res = await fetch(`${base}${concrete(path)}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(method === "POST" ? { "content-type": "application/json" } : {}),
    },
    ...(method === "POST" ? { body: "{}" } : {}),
  });
  await res.text();
  return res.status;
}

test("the app has the routes this test expects to find", () => {
  expect(routes.length).toBe(22);
  expect(routes.filter((r) => !OPEN.has(r.path)).length).toBe(17);
});

/** An admin key made through the API. */
async function adminKey(name: string) {
  const made = await fetch(`${services.decision.base}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${MANAGER}`, "content-type": "application/json" },
    body: JSON.stringify({ name, scopes: ["admin"] }),
  });
  return (await made.json()) as { id: number; key: string };
}

test("keyed routes: 401 without a key, with a made-up, revoked or expired one; 403 for decide-only", async () => {
  const revoked = await adminKey("soon-revoked");
  expect(await status("POST", `/admin/keys/${revoked.id}/revoke`, MANAGER)).toBe(200);
  const expired = await adminKey("soon-expired");
  const rotated = await fetch(`${services.decision.base}/admin/keys/${expired.id}/rotate`, {
    method: "POST",
    headers: { authorization: `Bearer ${MANAGER}`, "content-type": "application/json" },
    body: JSON.stringify({ grace_hours: 0 }),
  });
  expect(rotated.status).toBe(201);
  const seen: string[] = [];
  for (const { method, path } of routes) {
    if (OPEN.has(path)) continue;
    const adminOnly = path.startsWith("/admin") || path.startsWith("/campaigns");
    const got = {
      route: `${method} ${path}`,
      none: await status(method, path),
      madeUp: await status(method, path, `ppk_${"A".repeat(43)}`),
      revoked: await status(method, path, revoked.key),
      expired: await status(method, path, expired.key),
      decideOnly: adminOnly ? await status(method, path, API_KEY) : 403,
    };
    expect(got).toEqual({
      route: got.route,
      none: 401,
      madeUp: 401,
      revoked: 401,
      expired: 401,
      decideOnly: 403,
    });
    seen.push(got.route);
  }
  expect(seen.length).toBe(17);
});

test("each request to an admin route takes one token of its key's limit", async () => {
  const admin = routes.filter((r) => r.path.startsWith("/admin"));
  expect(admin.length).toBeLessThan(ADMINS.length);
  const limited = await startServiceProcesses({
    // 2 requests per key, refilled only after 1,000 s: the 3rd is the first 429.
    decision: { ADMIN_API_KEYS: ADMINS.join(","), RATE_LIMIT_RPS: "0.002", RATE_LIMIT_BURST: "2" },
  });
  const found: string[] = [];
  try {
    for (const [i, { method, path }] of admin.entries()) {
      const send = () => status(method, path, ADMINS[i], limited.decision.base);
      const statuses = [await send(), await send(), await send()];
      // Before: POST /admin/campaign-links passed the admin check twice; its 2nd request was a 429.
      found.push(`${method} ${path}: ${statuses.map((s) => (s === 429 ? 429 : "ok")).join(",")}`);
    }
  } finally {
    await limited.stop();
  }
  expect(found).toEqual(admin.map(({ method, path }) => `${method} ${path}: ok,ok,429`));
}, 180_000);
