// A campaign's control share is pinned at its first decision, on both drivers: concurrent first
// decisions agree on one share, and a later batch at another share neither moves customers
// between the groups nor is silently decided (409 naming control_share). Before, a batch at 0.5
// then one at 0.1 treated 931 of the 1,196 customers held out first.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CampaignShares, shareKeepingGroups } from "@pp/shared/campaigns/campaign-shares.ts";
import { campaignShares, decisionLog } from "@pp/shared/db/schema.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import {
  openTestDatabase,
  type TestDatabase,
  testDrivers,
} from "@pp/shared/testing/test-databases.ts";
import { eq } from "drizzle-orm";
import postgres from "postgres";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const KEY = "campaign-share-key-0123456789";
const SECRET = "campaign-share-secret-0123";
const customers = Array.from({ length: 300 }, (_, i) => ({
  id: `s-${i}`,
  summary: { frequency: 1 + (i % 7), recency: 8, T: 10 },
}));
const batch = (campaign: string, share?: number) => ({
  customers,
  horizon: { value: 13, unit: "week" },
  actions: [{ id: "email", cost: 1, uplift: 0.2, margin: 10 }],
  budget: 50,
  campaign,
  ...(share === undefined ? {} : { control_share: share }),
});

interface Answer {
  campaign: { control_share: number; control: Array<{ id: string }> };
  error?: { code: string; message: string; details: Array<{ path: string }> };
}

for (const driver of testDrivers()) {
  describe(`campaign control shares on ${driver}`, () => {
    let db: TestDatabase;
    let deps: DecisionDeps;
    let post: (body: unknown) => Promise<{ status: number; body: Answer }>;

    beforeAll(async () => {
      db = await openTestDatabase(driver);
      deps = buildDecisionDeps(
        parseConfig({
          API_KEYS: KEY,
          CAMPAIGN_SECRET: SECRET,
          DECISION_LOG_COMMIT_TIMEOUT_MS: "30000",
        }),
        {
          runtime: "test",
          database: async () => db.handle.db,
          forecastTransport: inProcessTransport(forecastContractStub().app),
          overrides: { logger: createLogger({ sink: () => {} }) },
        },
      );
      const app = createApp(deps);
      post = async (body) => {
        const res = await app.request("/decision/batch", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Answer };
      };
    }, 30_000);

    afterAll(async () => {
      await deps.audit.close(5000);
      await db.cleanup();
    });

    test("concurrent first decisions of a campaign pin one share, each process agreeing", async () => {
      const stores = Array.from(
        { length: 8 },
        () => new CampaignShares(async () => db.handle.db, deps.campaigns),
      );
      const pinned = await Promise.all(stores.map((s, i) => s.pin("race", 0.1 + 0.05 * i)));
      expect(new Set(pinned.map((p) => p.share)).size).toBe(1);
      // Asked again at another share, every store answers the pinned one.
      const again = await Promise.all(stores.map((s) => s.pin("race", 0.45)));
      expect(again.map((p) => p.share)).toEqual(pinned.map((p) => p.share));
    });

    test("a later batch at another share is a 409 naming control_share; the groups never move", async () => {
      const first = await post(batch("spring", 0.5));
      expect(first.status).toBe(200);
      const held = first.body.campaign.control.map((c) => c.id).sort();
      expect(held.length).toBeGreaterThan(100);

      const moved = await post(batch("spring", 0.1));
      expect(moved.status).toBe(409);
      expect(moved.body.error?.details[0]?.path).toBe("control_share");
      expect(moved.body.error?.message).toContain('Campaign "spring" holds out 0.5');

      // The share left to the policy (its default 0.1): the pinned 0.5, the same customers held out.
      const later = await post(batch("spring"));
      expect(later.status).toBe(200);
      expect(later.body.campaign.control_share).toBe(0.5);
      expect(later.body.campaign.control.map((c) => c.id).sort()).toEqual(held);

      await deps.audit.drain(5000);
      const rows = await db.handle.db
        .select({ group: decisionLog.assignmentGroup, id: decisionLog.customerId })
        .from(decisionLog)
        .where(eq(decisionLog.campaignId, "spring"));
      expect(rows).toHaveLength(2 * customers.length); // the refused batch logged nothing
      const control = rows.filter((r) => r.group === "control").map((r) => r.id);
      expect(new Set(control)).toEqual(new Set(held));
    });

    test("a batch that decides nobody does not start the campaign: its real first batch sets the share", async () => {
      const unknown = { ...batch("empty-first", 0.1), customers: [{ id: "nobody-known" }] };
      const empty = await post(unknown);
      expect(empty.status).toBe(200); // the customer is in `errors`; nothing is logged
      const pins = await db.handle.db
        .select()
        .from(campaignShares)
        .where(eq(campaignShares.campaignId, "empty-first"));
      expect(pins).toEqual([]);
      // It pinned 0.1 before, and this batch was a 409 though the campaign had no decision.
      const first = await post(batch("empty-first", 0.3));
      expect(first.status).toBe(200);
      expect(first.body.campaign.control_share).toBe(0.3);
      // Once started, an empty batch at another share is still refused.
      const moved = await post({ ...unknown, control_share: 0.2 });
      expect(moved.status).toBe(409);
    });

    // A store upgraded from a release without campaign_shares: the campaign's decisions are in the
    // log, its share is not. The first request after the upgrade pinned its own share (0.1 where
    // the campaign held out 0.3), and 3 of 49 customers held out before were treated.
    test("a campaign logged before shares were pinned keeps its groups and its start", async () => {
      const first = await post(batch("legacy", 0.3));
      expect(first.status).toBe(200);
      const held = first.body.campaign.control.map((c) => c.id).sort();
      await deps.audit.drain(5000);
      await db.handle.db.delete(campaignShares).where(eq(campaignShares.campaignId, "legacy"));
      const [logged] = await db.handle.db
        .select({ at: decisionLog.decidedAt })
        .from(decisionLog)
        .where(eq(decisionLog.campaignId, "legacy"))
        .orderBy(decisionLog.decidedAt)
        .limit(1);
      const since = logged?.at.toISOString();
      // A fresh process (nothing cached), asked at another share first.
      const { deps: upgraded, send } = freshProcess(db, SECRET);
      try {
        const moved = await send(batch("legacy", 0.1));
        expect(moved.status).toBe(409);
        expect(moved.body.error?.message).toContain('Campaign "legacy" holds out 0.3');
        expect(moved.body.error?.message).toContain(`since its first decision (${since})`);
        const later = await send(batch("legacy"));
        expect(later.status).toBe(200);
        expect(later.body.campaign.control_share).toBe(0.3);
        expect(later.body.campaign.control.map((c) => c.id).sort()).toEqual(held);
      } finally {
        await upgraded.audit.close(5000);
      }
    });

    // A replica, or `ml simulate`, under another CAMPAIGN_SECRET: its hash puts other customers in
    // control. It decided on, treating customers logged as control (67 of 200 in a probe), and the
    // report compared mixed groups.
    test("a process under another CAMPAIGN_SECRET is refused a started campaign (409 naming campaign), nothing logged", async () => {
      expect((await post(batch("secret", 0.3))).status).toBe(200);
      await deps.audit.drain(5000);
      const count = () => db.handle.db.$count(decisionLog, eq(decisionLog.campaignId, "secret"));
      const before = await count();
      const other = freshProcess(db, "another-campaign-secret-0123");
      try {
        const refused = await other.send(batch("secret"));
        expect(refused.status).toBe(409);
        expect(refused.body.error?.details[0]?.path).toBe("campaign");
        expect(refused.body.error?.message).toContain("under another secret");
        expect(refused.body.error?.message).toContain("CAMPAIGN_SECRET");
        await other.deps.audit.drain(5000);
        expect(await count()).toBe(before);
        // Its own new campaign is decided as usual; the original process decides on.
        expect((await other.send(batch("secret-2", 0.3))).status).toBe(200);
        // A campaign logged before shares were pinned, first read under the other secret: refused
        // before a share is pinned (it pinned 0.00002, and every process was then refused).
        const shareOf = () =>
          db.handle.db.select().from(campaignShares).where(eq(campaignShares.campaignId, "secret"));
        await db.handle.db.delete(campaignShares).where(eq(campaignShares.campaignId, "secret"));
        const unpinned = freshProcess(db, "another-campaign-secret-0123");
        try {
          expect((await unpinned.send(batch("secret"))).status).toBe(409);
          expect(await shareOf()).toEqual([]);
        } finally {
          await unpinned.deps.audit.close(5000);
        }
      } finally {
        await other.deps.audit.close(5000);
      }
      const same = freshProcess(db, SECRET);
      try {
        const decided = await same.send(batch("secret"));
        expect(decided.status).toBe(200);
        expect(decided.body.campaign.control_share).toBe(0.3);
      } finally {
        await same.deps.audit.close(5000);
      }
    });

    // A young campaign: the sampled groups check allowed "past s·(1−s) of them, and 3" moved, so
    // with 4 logged decisions a wrong secret passed 15 times in 16 (a probe: 96 of 200 customers
    // then in both groups). The pinned share now carries the secret's keyed fingerprint.
    test("another CAMPAIGN_SECRET is refused a campaign of 4 decisions (409); the fingerprint is no secret", async () => {
      const young = { ...batch("young", 0.5), customers: customers.slice(0, 4) };
      expect((await post(young)).status).toBe(200);
      await deps.audit.drain(5000);
      const [pin] = await db.handle.db
        .select()
        .from(campaignShares)
        .where(eq(campaignShares.campaignId, "young"));
      expect(pin?.secretFingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(pin?.secretFingerprint).not.toContain(SECRET);
      for (const wrong of ["wrong-secret-a-0123456789", "wrong-secret-b-0123456789"]) {
        const other = freshProcess(db, wrong);
        try {
          const refused = await other.send({
            ...batch("young"),
            customers: customers.slice(0, 200),
          });
          expect(refused.status).toBe(409);
          expect(refused.body.error?.details[0]?.path).toBe("campaign");
          expect(refused.body.error?.message).toContain("CAMPAIGN_SECRET");
        } finally {
          await other.deps.audit.close(5000);
        }
      }
      // A share pinned before fingerprints were stored (null) gets the first user's, then guards.
      await db.handle.db
        .update(campaignShares)
        .set({ secretFingerprint: null })
        .where(eq(campaignShares.campaignId, "young"));
      const same = freshProcess(db, SECRET);
      try {
        expect((await same.send(young)).status).toBe(200);
      } finally {
        await same.deps.audit.close(5000);
      }
      const [filled] = await db.handle.db
        .select()
        .from(campaignShares)
        .where(eq(campaignShares.campaignId, "young"));
      expect(filled?.secretFingerprint).toBe(pin?.secretFingerprint ?? "");
      const late = freshProcess(db, "wrong-secret-c-0123456789");
      try {
        expect((await late.send(young)).status).toBe(409);
      } finally {
        await late.deps.audit.close(5000);
      }
    });
  });
}

/** A decision service process of its own (nothing cached) on `db`, under `secret`. */
function freshProcess(db: TestDatabase, secret: string) {
  const deps = buildDecisionDeps(parseConfig({ API_KEYS: KEY, CAMPAIGN_SECRET: secret }), {
    runtime: "test",
    database: async () => db.handle.db,
    forecastTransport: inProcessTransport(forecastContractStub().app),
    overrides: { logger: createLogger({ sink: () => {} }) },
  });
  const app = createApp(deps);
  const send = async (body: unknown) => {
    const res = await app.request("/decision/batch", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Answer };
  };
  return { deps, send };
}

describe("a campaign share the database cannot give in time (PostgreSQL, table locked)", () => {
  test("503 within the commit deadline, counted as refused, nothing logged; 200 once released", async () => {
    if (!testDrivers().includes("postgres")) return;
    const db = await openTestDatabase("postgres");
    const metrics = new MetricsRegistry();
    const deps = buildDecisionDeps(
      parseConfig({
        API_KEYS: KEY,
        CAMPAIGN_SECRET: "campaign-share-secret-0123",
        DECISION_LOG_COMMIT_TIMEOUT_MS: "300",
      }),
      {
        runtime: "test",
        database: async () => db.handle.db,
        forecastTransport: inProcessTransport(forecastContractStub().app),
        overrides: { logger: createLogger({ sink: () => {} }), metrics },
      },
    );
    const app = createApp(deps);
    const post = () =>
      app.request("/decision/batch", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify(batch("locked", 0.3)),
      });
    // Another session holds the table (a migration, a long transaction): the share's insert waits.
    const other = postgres(db.options.databaseUrl ?? "", { max: 1, onnotice: () => {} });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holding = other.begin(async (tx) => {
      await tx`lock table campaign_shares in access exclusive mode`;
      locked();
      await held;
    });
    try {
      await isLocked;
      const started = performance.now();
      const refused = await post();
      expect(refused.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(3000);
      expect(refused.headers.get("Retry-After")).toBe("1");
      expect(await refused.text()).toContain("cannot read the campaign's control share");
      // Counted like a decision the log could not record (it counted nothing: no alert fired).
      expect(metrics.expose()).toMatch(
        new RegExp(`^decision_log_rejected_total ${customers.length}$`, "m"),
      );
      release();
      await holding;
      const answered = await post();
      expect(answered.status).toBe(200);
      await deps.audit.drain(5000);
      const rows = await db.handle.db
        .select({ id: decisionLog.customerId })
        .from(decisionLog)
        .where(eq(decisionLog.campaignId, "locked"));
      expect(rows).toHaveLength(customers.length); // the refused batch logged nothing
    } finally {
      release();
      await holding.catch(() => {});
      await other.end({ timeout: 1 });
      await deps.audit.close(5000);
      await db.cleanup();
    }
  }, 30_000);
});

describe("shareKeepingGroups: a share under which logged customers keep their groups", () => {
  const control = [0.01, 0.12, 0.2987];
  const treated = [0.3004, 0.41, 0.93];
  test("the share asked when it keeps them all, else the shortest decimal that does", () => {
    expect(shareKeepingGroups(0.3, control, treated)).toBe(0.3);
    expect(shareKeepingGroups(0.2999, control, treated)).toBe(0.2999);
    expect(shareKeepingGroups(0.1, control, treated)).toBe(0.3);
    expect(shareKeepingGroups(0.5, control, treated)).toBe(0.3);
    // Nobody held out yet: any share below the lowest treated draw.
    expect(shareKeepingGroups(0.1, [], treated)).toBe(0.1);
    expect(shareKeepingGroups(0.45, [], [0.2, 0.6])).toBe(0.1);
    // Nobody treated: above the highest control draw, at most 0.5.
    expect(shareKeepingGroups(0.1, [0.2, 0.33], [])).toBe(0.4);
  });
  test("groups no share reproduces (a share changed before pinning): the fewest moved", () => {
    // Draws logged at 0.1 and later at 0.2: each share leaves one customer in the other group.
    const control = [0.02, 0.05, 0.08, 0.15];
    const treated = [0.12, 0.3, 0.6];
    expect(shareKeepingGroups(0.1, control, treated)).toBe(0.1); // (0.08, 0.12]: 1 moved
    expect(shareKeepingGroups(0.5, control, treated)).toBe(0.2); // nearest of the two: (0.15, 0.3]
    expect(shareKeepingGroups(0.13, control, treated)).toBe(0.1); // 2 moved at 0.13: not kept
  });
});
