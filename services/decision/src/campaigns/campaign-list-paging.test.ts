// GET /campaigns with many campaigns, on both stores: pages of a bounded size, followed by their
// next links (with a key, and under a signed link without one), list every campaign exactly once,
// each with its own latest result. The list once read the 200 most recently reported campaigns'
// results for a list of every campaign: the 201st measured campaign showed "not measured".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { saveCampaignResult } from "@pp/shared/campaigns/campaign-results-store.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import { campaignDecisionRow } from "@pp/shared/testing/decision-rows.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const KEY = "campaign-list-paging-key-0123456789";
const auth = { authorization: `Bearer ${KEY}` };
const MEASURED = 230; // more than the 200 results the list once read
const LOGGED_ONLY = 30;
const T0 = Date.parse("2026-11-01T00:00:00Z");

const measuredId = (i: number) => `m-${String(i).padStart(3, "0")}`;
const loggedId = (i: number) => `l-${String(i).padStart(3, "0")}`;

function resultOf(campaign: string, windowEnd: string, profit: number): CampaignResult {
  return {
    campaign,
    window: { start: "2026-01-01", end: windowEnd },
    groups: { treated: 90, control: 10, control_share: 0.1 },
    method: "difference in means",
    actions: [],
    qini: [],
    incremental_profit: profit,
    notes: [],
  };
}

/** A listed campaign as the page shows it. */
interface Row {
  id: string;
  href: string;
  treated: number;
  control: number;
  measuredTo: string;
  profit: string;
}

const unescapeHtml = (s: string) =>
  s.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&lt;", "<");

function parsePage(html: string): { rows: Row[]; next: string | null } {
  const rows = [
    ...html.matchAll(
      /<tr><th scope="row"><a href="([^"]*)">([^<]*)<\/a><\/th>\s*<td>(\d+)<\/td><td>(\d+)<\/td>\s*<td>([^<]*)<\/td><td>([^<]*)<\/td><\/tr>/g,
    ),
  ].map((m) => ({
    href: unescapeHtml(m[1] ?? ""),
    id: unescapeHtml(m[2] ?? ""),
    treated: Number(m[3]),
    control: Number(m[4]),
    measuredTo: m[5] ?? "",
    profit: m[6] ?? "",
  }));
  const next = /<a rel="next" href="([^"]*)"/.exec(html)?.[1];
  return { rows, next: next === undefined ? null : unescapeHtml(next) };
}

for (const driver of testDrivers()) {
  describe(`GET /campaigns paging (${driver})`, () => {
    let db: TestDatabase;
    let deps: DecisionDeps;
    let app: ReturnType<typeof createApp>;

    beforeAll(async () => {
      db = await openTestDatabase(driver);
      const d = db.handle.db;
      for (let i = 0; i < MEASURED; i++) {
        // Reported one a minute: m-000 is the least recently reported.
        await saveCampaignResult(
          d,
          resultOf(measuredId(i), "2026-10-01", i),
          new Date(T0 + i * 6e4),
        );
      }
      // m-000's later report (of an earlier window) is its latest.
      await saveCampaignResult(d, resultOf(measuredId(0), "2026-09-01", -7), new Date(T0 + 9e6));
      const rows = [];
      for (let i = 0; i < LOGGED_ONLY; i++) {
        const decided = new Date(T0 + i * 1000);
        rows.push(campaignDecisionRow(`c${i}`, decided, { id: loggedId(i), group: "treated" }));
        if (i % 2 === 0) {
          rows.push(campaignDecisionRow(`d${i}`, decided, { id: loggedId(i), group: "control" }));
        }
      }
      for (let k = 0; k < 3; k++) {
        const decided = new Date(T0 + k);
        rows.push(campaignDecisionRow(`e${k}`, decided, { id: measuredId(5), group: "treated" }));
      }
      await new DecisionLogRepository(d).insertMany(rows);
      deps = buildDecisionDeps(
        parseConfig({ ADMIN_API_KEYS: KEY, CAMPAIGN_SECRET: "campaign-list-paging-secret-0123" }),
        {
          runtime: "test",
          database: async () => d,
          forecastTransport: inProcessTransport(forecastContractStub().app),
          overrides: { logger: createLogger({ sink: () => {} }) },
        },
      );
      app = createApp(deps);
    }, 180_000);

    afterAll(async () => {
      await deps?.audit.close(5000);
      await db?.cleanup();
    });

    /** Every page from `start`, following next links. */
    async function allPages(start: string, headers: Record<string, string> = {}) {
      const pages: Array<{ path: string; rows: Row[]; next: string | null }> = [];
      let path: string | null = start;
      while (path !== null && pages.length < 100) {
        const res = await app.request(path, { headers });
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        const page = parsePage(await res.text());
        pages.push({ path, ...page });
        path = page.next;
      }
      return pages;
    }

    function expectEveryCampaignOnce(rows: Row[]): void {
      const ids = rows.map((r) => r.id);
      const expected = [
        ...Array.from({ length: LOGGED_ONLY }, (_, i) => loggedId(i)),
        ...Array.from({ length: MEASURED }, (_, i) => measuredId(i)),
      ];
      expect(ids).toEqual(expected); // ordered by campaign id, none twice, none left out
    }

    test("pages of 50 by campaign id; every measured campaign shows its latest result", async () => {
      const pages = await allPages("/campaigns", auth);
      expect(pages.map((p) => p.rows.length)).toEqual([50, 50, 50, 50, 50, 10]);
      const rows = pages.flatMap((p) => p.rows);
      expectEveryCampaignOnce(rows);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const notMeasured = rows.filter(
        (r) => r.id.startsWith("m-") && r.measuredTo === "not measured",
      );
      expect(notMeasured.map((r) => r.id)).toEqual([]); // before: m-000 … m-029
      expect(byId.get("m-000")).toMatchObject({ measuredTo: "2026-09-01", profit: "-7.00" });
      expect(byId.get("m-229")).toMatchObject({ measuredTo: "2026-10-01", profit: "229.00" });
      expect(byId.get("m-005")).toMatchObject({ treated: 3, control: 0 });
      expect(byId.get("l-000")).toMatchObject({
        treated: 1,
        control: 1,
        measuredTo: "not measured",
      });
      expect(byId.get("l-001")).toMatchObject({ treated: 1, control: 0 });
      expect(pages[1]?.path).toBe("/campaigns?after=m-019"); // l-000 … l-029, m-000 … m-019
      expect(pages.at(-1)?.next).toBeNull();
    });

    test("a smaller limit is kept by the next links", async () => {
      const pages = await allPages("/campaigns?limit=7", auth);
      expect(pages).toHaveLength(Math.ceil((MEASURED + LOGGED_ONLY) / 7));
      expect(pages[1]?.path).toBe("/campaigns?after=l-006&limit=7");
      expectEveryCampaignOnce(pages.flatMap((p) => p.rows));
    });

    test("a signed link to the list opens every page, and every campaign, without a key", async () => {
      const res = await app.request("/admin/campaign-links", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ hours: 1 }),
      });
      const { url } = (await res.json()) as { url: string };
      const pages = await allPages(url);
      expect(pages).toHaveLength(6);
      const rows = pages.flatMap((p) => p.rows);
      expectEveryCampaignOnce(rows);
      for (const page of pages.slice(1))
        expect(page.path).toMatch(/^\/campaigns\?after=.*&exp=\d+&sig=/);
      const campaign = rows.find((r) => r.id === "m-229") as Row;
      expect((await app.request(campaign.href)).status).toBe(200);
      // The signature is the list's: a next link without it needs the key.
      expect((await app.request("/campaigns?after=m-019")).status).toBe(401);
    });

    test("a bad after or limit is a 400 naming the parameter, never a 500", async () => {
      const cases: Array<[string, string]> = [
        ["after=%00", "after"],
        ["after=%ED%A0%80", "after"],
        [`after=${"x".repeat(10_000)}`, "after"],
        ["after=%", "after"],
        ["after=a%E0%A4%A", "after"],
        ["after=", "after"],
        ["after=a&after=b", "after"],
        ["limit=0", "limit"],
        ["limit=-1", "limit"],
        ["limit=abc", "limit"],
        ["limit=1e3", "limit"],
        ["limit=0x10", "limit"],
        ["limit=100000", "limit"],
        ["limit=%", "limit"],
        ["afterr=m-001", "afterr"],
      ];
      for (const [query, param] of cases) {
        const res = await app.request(`/campaigns?${query}`, { headers: auth });
        const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
        const got = { query: query.slice(0, 40), status: res.status, code: body.error.code };
        expect(got).toEqual({ query: query.slice(0, 40), status: 400, code: "validation_error" });
        expect(body.error.details.map((d) => d.path)).toContain(param);
      }
    });

    test("a campaign's page counts that campaign's decisions", async () => {
      const page = await (await app.request("/campaigns/m-005", { headers: auth })).text();
      expect(page).toContain("Decisions logged: 3 treated");
      const logged = await (await app.request("/campaigns/l-000", { headers: auth })).text();
      expect(logged).toContain("Decisions logged: 1 control · 1 treated");
    });
  });
}
