// Signed campaign links against a real decision process (PGlite, forecast over HTTP): a link to
// one campaign opens that page and nothing else, however its page's own links are followed; a
// link to the list opens the list and every campaign it lists; tampered and expired links fail.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  API_KEY,
  type ServiceProcesses,
  startServiceProcesses,
} from "../../../testing/service-processes.ts";

const ADMIN = "signed-link-scope-admin-0123456789";
const SECRET = "signed-link-scope-secret-0123456789";
let services: ServiceProcesses;
const base = () => services.decision.base;

async function post(path: string, body: unknown, key: string): Promise<Response> {
  return fetch(`${base()}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function linkFor(campaign?: string): Promise<string> {
  const res = await post("/admin/campaign-links", campaign ? { campaign, hours: 1 } : {}, ADMIN);
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

/** Status and the links (href) of a page opened without a key. */
async function open(path: string): Promise<{ status: number; hrefs: string[] }> {
  const res = await fetch(`${base()}${path}`);
  const html = await res.text();
  const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) =>
    (m[1] ?? "").replaceAll("&amp;", "&"),
  );
  return { status: res.status, hrefs };
}

/** Every path reachable without a key from `start` by following the pages' links. */
async function reachable(start: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const queue = [start];
  while (queue.length > 0) {
    const href = queue.shift() as string;
    if (seen.has(href)) continue;
    const { status, hrefs } = await open(href);
    seen.set(href, status);
    if (status === 200) queue.push(...hrefs.filter((h) => h.startsWith("/campaigns")));
  }
  return seen;
}

beforeAll(async () => {
  services = await startServiceProcesses({
    decision: { ADMIN_API_KEYS: ADMIN, CAMPAIGN_SECRET: SECRET },
  });
  for (const campaign of ["camp-a", "camp-b", "camp-c"]) {
    const res = await post(
      "/decision/batch",
      {
        customers: services.knownIds.slice(1, 31).map((id) => ({ id })),
        horizon: { value: 4, unit: "week" },
        actions: [{ id: "email", cost: 0.3, uplift: 0.1, margin: 12 }],
        budget: 5,
        campaign,
        control_share: 0.3,
      },
      API_KEY,
    );
    expect(res.status).toBe(200);
  }
}, 180_000);

afterAll(() => services?.stop());

test("a link to one campaign opens that page only, following every link on it", async () => {
  const link = await linkFor("camp-a");
  const pages = await reachable(link);
  const opened = [...pages]
    .filter(([, status]) => status === 200)
    .map(([href]) => href.split("?")[0]);
  // Before: its "all campaigns" link was signed for the list, which signed links to camp-b and camp-c.
  expect(opened).toEqual(["/campaigns/camp-a"]);
  expect([...pages.values()].filter((s) => s !== 200 && s !== 401)).toEqual([]);
  const query = link.split("?")[1];
  for (const other of ["/campaigns", "/campaigns/camp-b"]) {
    expect((await open(`${other}?${query}`)).status).toBe(401);
  }
});

test("a link to the list opens the list and each campaign on it, and back", async () => {
  const pages = await reachable(await linkFor());
  const opened = [...pages].filter(([, s]) => s === 200).map(([href]) => href.split("?")[0]);
  expect(opened.sort()).toEqual([
    "/campaigns",
    "/campaigns/camp-a",
    "/campaigns/camp-b",
    "/campaigns/camp-c",
  ]);
});

test("tampered, re-dated and expired links are refused", async () => {
  const link = await linkFor("camp-a");
  const exp = Number(/exp=(\d+)/.exec(link)?.[1]);
  const sig = /sig=([0-9a-f]+)/.exec(link)?.[1] as string;
  const flipped = `${sig[0] === "0" ? "1" : "0"}${sig.slice(1)}`;
  for (const path of [
    `/campaigns/camp-a?exp=${exp + 3600}&sig=${sig}`,
    `/campaigns/camp-a?exp=${Math.floor(Date.now() / 1000) - 1}&sig=${sig}`,
    `/campaigns/camp-a?exp=${exp}&sig=${flipped}`,
    `/campaigns/camp-a?exp=${exp}`,
    `/campaigns/camp-a?sig=${sig}`,
    `/campaigns/camp-b?exp=${exp}&sig=${sig}`,
  ]) {
    expect({ path, status: (await open(path)).status }).toEqual({ path, status: 401 });
  }
});
