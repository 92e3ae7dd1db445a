// A real decision process logging at info: looking a customer up and erasing them (with a key,
// without one, with a bad query) leaves their id in no log line, and the keys and the campaign
// secret used appear in none either.
import { expect, test } from "bun:test";
import { API_KEY, startServiceProcesses } from "../../../testing/service-processes.ts";

const ADMIN = "customer-path-log-admin-0123456789";
const SECRET = "customer-path-log-secret-0123456789";
const CUSTOMER = "erase-me-4242@example.com";

test("no log line names a looked-up or erased customer", async () => {
  const services = await startServiceProcesses({
    decision: { ADMIN_API_KEYS: ADMIN, CAMPAIGN_SECRET: SECRET, LOG_LEVEL: "info" },
  });
  const { base, output } = services.decision;
  const send = (method: string, path: string, key?: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        "content-type": "application/json",
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (res) => [res.status, await res.text()] as const);
  const path = `/admin/customers/${encodeURIComponent(CUSTOMER)}/decisions`;
  try {
    const decision = {
      customer: { id: CUSTOMER, summary: { frequency: 3, recency: 10, T: 20, monetary: 30 } },
      horizon: { value: 4, unit: "week" },
      actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
    };
    expect((await send("POST", "/decision", API_KEY, decision))[0]).toBe(200);
    expect((await send("GET", path, ADMIN))[0]).toBe(200);
    expect((await send("GET", `${path}?limit=0`, ADMIN))[0]).toBe(400);
    expect((await send("GET", path))[0]).toBe(401);
    expect((await send("GET", path, API_KEY))[0]).toBe(403);
    expect((await send("POST", path, ADMIN, {}))[0]).toBe(405);
    expect((await send("DELETE", path, ADMIN))[1]).toContain('"decisions":1');
    await new Promise((r) => setTimeout(r, 300)); // the last lines reach the pipe
  } finally {
    await services.stop();
  }
  const lines = output.filter((l) => l.includes('"msg":"request"'));
  const customerLines = lines.filter((l) => l.includes("/admin/customers/"));
  expect(customerLines.length).toBe(6);
  for (const line of customerLines) {
    expect(JSON.parse(line).path).toMatch(/^\/admin\/customers\/:id\/decisions$/);
  }
  // Before: 6 request lines carried the id in `path`.
  const named = output.filter((l) => l.includes("erase-me-4242") || l.includes("erase-me-4242%40"));
  expect(named).toEqual([]);
  for (const secret of [API_KEY, ADMIN, SECRET, "Bearer"]) {
    expect(output.filter((l) => l.includes(secret))).toEqual([]);
  }
}, 180_000);
