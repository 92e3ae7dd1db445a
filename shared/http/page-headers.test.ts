// The HTML pages of real service processes (/docs of both, the decision service's campaign pages
// by key and by signed link) carry the page headers, and hold nothing their policy would block.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type ServiceProcesses,
  startServiceProcesses,
} from "../../services/testing/service-processes.ts";

const ADMIN = "page-headers-admin-0123456789";
let services: ServiceProcesses;

beforeAll(async () => {
  services = await startServiceProcesses({ decision: { ADMIN_API_KEYS: ADMIN } });
}, 180_000);

afterAll(() => services?.stop());

async function pages(): Promise<Array<[string, Response]>> {
  const { forecast, decision } = services;
  const auth = { authorization: `Bearer ${ADMIN}` };
  const linkRes = await fetch(`${decision.base}/admin/campaign-links`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "{}",
  });
  const link = ((await linkRes.json()) as { url: string }).url;
  return [
    ["forecast /docs", await fetch(`${forecast.base}/docs`)],
    ["decision /docs", await fetch(`${decision.base}/docs`)],
    ["/campaigns by key", await fetch(`${decision.base}/campaigns`, { headers: auth })],
    ["/campaigns by link", await fetch(`${decision.base}${link}`)],
  ];
}

test("every HTML page: no script or remote resource, no framing, no sniffing, no referrer", async () => {
  for (const [name, res] of await pages()) {
    const html = await res.text();
    expect({ name, status: res.status }).toEqual({ name, status: 200 });
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    // Before: /docs had no policy at all, the campaign pages one without frame-ancestors.
    for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      expect({ name, csp, has: csp.includes(directive) }).toEqual({ name, csp, has: true });
    }
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    // What the policy allows is all the pages need: no script, nothing remote, no form.
    expect(html).not.toMatch(/<script|<form|<iframe|src="https?:|href="https?:|url\(/i);
  }
});
