// The campaign pages end to end: a simulated campaign (decisions in a real PGlite decision log,
// purchases in a CSV) measured by `ml campaign report`, then served by the decision service over
// real HTTP and opened in a real headless Chromium (Debian's chromium, driven by playwright-core);
// the screenshot is kept in .artifacts/. Also: access (API key, signed links), 4xx paths, and
// the campaign_incremental_profit gauges.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runCampaignReport } from "@pp/ml/campaigns/campaign-report.ts";
import { runSimulateCampaign } from "@pp/ml/campaigns/simulate-campaign.ts";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const CHROMIUM = "/usr/bin/chromium";
const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable) {
  console.warn(
    "campaign-pages.test: /usr/bin/chromium missing; browser test skipped. " +
      "Install it (apt-get install chromium) or run .ci/run. CI_REQUIRE_CHROMIUM=1 fails.",
  );
}
const KEY = "campaign-pages-key-0123456789";
const DECIDE_KEY = "campaign-pages-decide-key-0123456789";
const SECRET = "campaign-pages-secret-0123456789";
const CAMPAIGN = "spring-97";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;
let result: CampaignResult;
let dir: string;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-page-"));
  const csv = join(dir, "tx.csv");
  const quiet = () => {};
  await runSimulateCampaign({
    db: testDb.handle.db,
    campaign: CAMPAIGN,
    customers: 8000,
    seed: 11,
    controlShare: 0.3,
    out: csv,
    secret: SECRET,
    print: quiet,
  });
  result = await runCampaignReport({
    db: testDb.handle.db,
    campaign: CAMPAIGN,
    data: csv,
    format: "csv",
    print: quiet,
  });
  deps = buildDecisionDeps(
    parseConfig({ ADMIN_API_KEYS: KEY, API_KEYS: DECIDE_KEY, CAMPAIGN_SECRET: SECRET }),
    {
      runtime: "test",
      database: async () => testDb.handle.db,
      forecastTransport: inProcessTransport(forecastContractStub().app),
      overrides: { logger: createLogger({ sink: () => {} }) },
    },
  );
  app = createApp(deps);
}, 120_000);

afterAll(async () => {
  await deps.audit.close(5000);
  await testDb.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${KEY}` };
const decideOnly = { authorization: `Bearer ${DECIDE_KEY}` };

async function signedLink(campaign?: string, hours = 1): Promise<string> {
  const res = await app.request("/admin/campaign-links", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ ...(campaign ? { campaign } : {}), hours }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { url: string }).url;
}

describe("campaign pages over app.request", () => {
  test("admin key or signed link; 401 without, 403 with a decide-only key; 400 for a bad id; 404 for an unknown one", async () => {
    expect((await app.request("/campaigns")).status).toBe(401);
    expect((await app.request("/campaigns", { headers: decideOnly })).status).toBe(403);
    expect((await app.request(`/campaigns/${CAMPAIGN}`, { headers: decideOnly })).status).toBe(403);
    expect((await app.request(`/campaigns/${CAMPAIGN}`)).status).toBe(401);
    const list = await app.request("/campaigns", { headers: auth });
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toContain("text/html");
    expect(list.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await list.text()).toContain(`href="/campaigns/${CAMPAIGN}"`);
    const page = await (await app.request(`/campaigns/${CAMPAIGN}`, { headers: auth })).text();
    expect(page).toContain("Qini curve");
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // Any id the log may hold is looked up (one logged before the id rule, too); an empty or
    // overlong one is not an id.
    expect((await app.request("/campaigns/bad%20id", { headers: auth })).status).toBe(404);
    const overlong = await app.request(`/campaigns/${"x".repeat(4097)}`, { headers: auth });
    expect(overlong.status).toBe(400);
    expect((await app.request("/campaigns/nobody", { headers: auth })).status).toBe(404);

    const link = await signedLink(CAMPAIGN);
    expect((await app.request(link)).status).toBe(200);
    const [path, query] = link.split("?") as [string, string];
    expect((await app.request(`/campaigns?${query}`)).status).toBe(401); // another path
    // Flip the signature's first hex digit (a fixed replacement would be a no-op 1 time in 16).
    const tampered = query.replace(/sig=(.)/, (_, d: string) => `sig=${d === "0" ? "1" : "0"}`);
    expect((await app.request(`${path}?${tampered}`)).status).toBe(401);
    const expired = link.replace(/exp=\d+/, "exp=1000");
    expect((await app.request(expired)).status).toBe(401);
    // The list reached by a signed link links to campaigns with signed links of the same expiry.
    const listed = await (await app.request(await signedLink())).text();
    expect(listed).toMatch(new RegExp(`/campaigns/${CAMPAIGN}\\?exp=\\d+&amp;sig=[0-9a-f]{64}`));
  });

  test("a campaign logged before the id rule is listed, opened and escaped", async () => {
    // ml simulate --campaign took any id before 2026-12-05: such a campaign was listed, and its
    // page answered 400 for good.
    const old = `x/../../admin <img src=x onerror=alert(1)>"'&`;
    await new DecisionLogRepository(testDb.handle.db).insertMany(
      ["o1", "o2", "o3"].map((c, i) =>
        campaignDecisionRow(c, new Date("2026-12-04T10:00:00Z"), {
          id: old,
          group: i === 0 ? "control" : "treated",
        }),
      ),
    );
    const list = await (await app.request("/campaigns", { headers: auth })).text();
    const href = `/campaigns/${encodeURIComponent(old)}`;
    expect(list).toContain(`href="${href.replaceAll("&", "&amp;").replaceAll("'", "&#39;")}"`);
    const page = await app.request(href, { headers: auth });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("x/../../admin &lt;img src=x onerror=alert(1)&gt;");
    expect(html).not.toContain("<img");
  });

  test("without a database the pages answer 503, not 500", async () => {
    const offline = createApp(
      buildDecisionDeps(parseConfig({ ADMIN_API_KEYS: KEY }), {
        runtime: "test",
        forecastTransport: inProcessTransport(forecastContractStub().app),
        overrides: { logger: createLogger({ sink: () => {} }) },
      }),
    );
    for (const path of ["/campaigns", `/campaigns/${CAMPAIGN}`]) {
      const res = await offline.request(path, { headers: auth });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    }
  });

  test("campaign_incremental_profit gauges carry the stored result", async () => {
    await deps.campaignMetrics.refresh();
    const text = await (await app.request("/metrics")).text();
    for (const a of result.actions) {
      const line = text
        .split("\n")
        .find((l) =>
          l.startsWith(
            `campaign_incremental_profit{campaign="${CAMPAIGN}",action="${a.action}",bound="estimate"}`,
          ),
        );
      expect(line).toBeDefined();
      expect(Number(line?.split(" ").pop())).toBeCloseTo(a.incremental_profit_total.estimate, 6);
    }
    expect(text).toContain(`campaign_incremental_profit{campaign="${CAMPAIGN}",action="all"`);
  });
});

describe("campaign page in headless Chromium", () => {
  test.skipIf(!chromiumAvailable && process.env.CI_REQUIRE_CHROMIUM !== "1")(
    "renders groups, intervals and the Qini curve from local resources only; screenshot kept",
    async () => {
      const { chromium } = await import("playwright-core");
      const port = await freePort();
      const server = Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        timeout: 60_000,
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const foreign: string[] = [];
        page.on("request", (r) => {
          if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) foreign.push(r.url());
        });
        const base = `http://127.0.0.1:${port}`;
        await page.goto(`${base}${await signedLink()}`, { timeout: 30_000 });
        await page.click(`a:has-text("${CAMPAIGN}")`, { timeout: 10_000 });
        await page.waitForSelector("section.campaign", { timeout: 10_000 });
        expect(await page.title()).toBe(`Campaign ${CAMPAIGN}`);
        expect(await page.locator("svg.chart").count()).toBe(2);
        expect(await page.locator("tbody tr").count()).toBe(result.actions.length);
        const groups = (await page.locator("p.groups").textContent()) ?? "";
        expect(groups).toContain(`${result.groups.treated} treated`);
        expect(groups).toContain(`${result.groups.control} control`);
        const total = (await page.locator("#total-profit").textContent()) ?? "";
        expect(Number(total.replace(/,/g, ""))).toBeCloseTo(result.incremental_profit as number, 1);
        // The Qini polyline has the 11 points (0 and ten deciles), drawn at real coordinates.
        const points = await page
          .locator('svg[aria-label="Qini curve"] polyline')
          .nth(1)
          .getAttribute("points");
        expect(points?.trim().split(" ").length).toBe(11);
        const box = await page.locator('svg[aria-label="Qini curve"]').boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        expect(foreign).toEqual([]);
        const artefacts = resolve(import.meta.dir, "../../../../.artifacts");
        mkdirSync(artefacts, { recursive: true });
        const shot = join(artefacts, "campaign-page.png");
        await page.screenshot({ path: shot, fullPage: true });
        console.log(`campaign page screenshot: ${shot}`);
      } finally {
        await browser.close();
        server.stop(true);
      }
    },
    120_000,
  );
});
