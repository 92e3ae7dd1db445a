// Routes that change state take no query parameters: one sent anyway (a client's `?before=…` on
// an erasure, `?dry_run=1` on a revoke) is a 400 naming it and nothing changes. They were
// ignored: an erasure meant for old decisions erased every decision of the customer, a "dry run"
// revoked the key. The admin reads that take none name one too, as the reads with parameters do.
// A real decision service process on the embedded store.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DECISION_BODY,
  decide,
  forecastStubAroundTests,
  startDecision,
  stopGracefully,
} from "../../../testing/decision-traffic.ts";
import type { ServiceProcess } from "../../../testing/service-processes.ts";

const ADMIN = "query-on-writes-admin-key-0123456789";
const forecast = forecastStubAroundTests();
let service: ServiceProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "pp-query-writes-"));
  service = await startDecision(forecast.url, { DATA_DIR: dataDir, ADMIN_API_KEYS: ADMIN });
}, 90_000);

afterAll(async () => {
  if (service) await stopGracefully(service);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The fields of the answers this file reads. */
interface Answer {
  error?: { details?: Array<{ path: string }> };
  decisions?: unknown[];
  id?: number;
  keys?: Array<{ id: number; state: string; replaced_by: number | null }>;
  policies?: unknown[];
}

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${service.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Answer };
};

const named = (json: Answer) => (json.error?.details ?? []).map((d) => d.path);

test("an erasure with a query parameter is a 400 naming it, and erases nothing", async () => {
  expect((await decide(service.base)).status).toBe(200); // beside startDecision's own: 2 rows
  const erase = await call("DELETE", "/admin/customers/c-1/decisions?before=2020-01-01T00:00:00Z");
  expect(erase.status).toBe(400);
  expect(named(erase.json)).toEqual(["before"]);
  const kept = await call("GET", "/admin/customers/c-1/decisions");
  expect(kept.json.decisions?.length).toBe(2);
}, 60_000);

test("a revoke or rotate with a query parameter is a 400 and the key stays active", async () => {
  const made = await call("POST", "/admin/keys", { name: "query-writes-client" });
  expect(made.status).toBe(201);
  for (const path of [
    `/admin/keys/${made.json.id}/revoke?dry_run=1`,
    `/admin/keys/${made.json.id}/rotate?dry_run=1`,
  ]) {
    const res = await call("POST", path);
    expect(res.status).toBe(400);
    expect(named(res.json)).toEqual(["dry_run"]);
  }
  const keys = await call("GET", "/admin/keys");
  const key = keys.json.keys?.find((k) => k.id === made.json.id);
  expect(key?.state).toBe("active");
  expect(key?.replaced_by).toBeNull();
}, 60_000);

test("decisions, policies, prune and links with a query parameter are a 400 naming it", async () => {
  const batch = { ...JSON.parse(DECISION_BODY), customer: undefined, customers: [{ id: "c-1" }] };
  const writes: Array<[string, unknown]> = [
    ["/decision?dry_run=1", JSON.parse(DECISION_BODY)],
    ["/decision/batch?dry_run=1", { ...batch, budget: 1 }],
    ["/admin/policies?dry_run=1", { name: "q", definition: { profit_model: "expected-profit" } }],
    ["/admin/policies/default/versions/1/activate?dry_run=1", undefined],
    ["/admin/decision-log/prune?dry_run=1", { older_than_days: 1 }],
    ["/admin/campaign-links?dry_run=1", { campaign: "spring", hours: 1 }],
    ["/admin/keys?dry_run=1", { name: "query-writes-other" }],
  ];
  for (const [path, body] of writes) {
    const res = await call("POST", path, body);
    expect({ path, status: res.status, named: named(res.json) }).toEqual({
      path,
      status: 400,
      named: ["dry_run"],
    });
  }
  const log = await call("GET", "/admin/customers/c-1/decisions");
  expect(log.json.decisions?.length).toBe(2); // neither decision was made
  const policies = await call("GET", "/admin/policies?name=q");
  expect(policies.json.policies ?? []).toEqual([]);
}, 60_000);

test("the admin reads without parameters name one sent, as those with parameters do", async () => {
  for (const path of [
    "/admin/keys?state=active",
    "/admin/policies/active?state=active",
    "/admin/policies/default/versions/1?state=active",
  ]) {
    const res = await call("GET", path);
    expect({ path, status: res.status, named: named(res.json) }).toEqual({
      path,
      status: 400,
      named: ["state"],
    });
  }
}, 60_000);
