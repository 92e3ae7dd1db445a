// One customer sent as "José" composed (NFC) and decomposed (NFD, as macOS writes it): the
// campaign split is drawn on the composed spelling, so both land in the same group (drawn on the
// id as sent, a customer sent both ways was in both groups, and the report left it out as
// switched); and an id already in NFC keeps the group it was drawn before.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { ControlAssignment } from "@pp/shared/policy/control-assignment.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildDecisionDeps, type DecisionDeps } from "../deps.ts";
import { inProcessTransport } from "../forecast-client/forecast-transports.ts";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";

const KEY = "campaign-spellings-key-0123456789";
const SECRET = "campaign-spellings-secret-0123456789";
let testDb: TestDatabase;
let deps: DecisionDeps;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  testDb = await openTestDatabase("pglite");
  deps = buildDecisionDeps(
    parseConfig({
      API_KEYS: KEY,
      CAMPAIGN_SECRET: SECRET,
      DECISION_LOG_COMMIT_TIMEOUT_MS: "30000",
    }),
    {
      runtime: "test",
      database: async () => testDb.handle.db,
      forecastTransport: inProcessTransport(forecastContractStub().app),
      overrides: { logger: createLogger({ sink: () => {} }) },
    },
  );
  app = createApp(deps);
}, 30_000);

afterAll(async () => {
  await deps.audit.close(5000);
  await testDb.cleanup();
});

const post = (path: string, body: unknown) =>
  app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });

/** The draw as it was made before (HMAC of the id exactly as given), computed apart. */
async function rawDraw(campaign: string, id: string): Promise<number> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const view = new DataView(
    await crypto.subtle.sign("HMAC", key, enc.encode(`${campaign}\0${id}`)),
  );
  return (view.getUint32(0) * 2 ** 20 + (view.getUint32(4) >>> 12)) / 2 ** 52;
}

const CAMPAIGN = "spellings-1";
const SHARE = 0.5;
const groupOf = (u: number) => (u < SHARE ? "control" : "treated");

/** Composed ids whose decomposed spelling, drawn as sent, falls in the other group. */
async function idsSplitBySpelling(n: number): Promise<string[]> {
  const found: string[] = [];
  for (let i = 0; found.length < n; i++) {
    const nfc = `José Müller ${i}`.normalize("NFC");
    const [a, b] = await Promise.all([
      rawDraw(CAMPAIGN, nfc),
      rawDraw(CAMPAIGN, nfc.normalize("NFD")),
    ]);
    if (groupOf(a) !== groupOf(b)) found.push(nfc);
  }
  return found;
}

const horizon = { value: 13, unit: "week" };
const actions = [{ id: "email", cost: 1, uplift: 0.2, margin: 10 }];
const summary = { frequency: 3, recency: 8, T: 10 };

describe("a campaign's split of one customer sent in NFC and in NFD", () => {
  test("ControlAssignment draws on the NFC spelling; an NFC id's draw is unchanged", async () => {
    const assignment = new ControlAssignment(SECRET);
    for (const nfc of await idsSplitBySpelling(5)) {
      const nfd = nfc.normalize("NFD");
      expect(nfd).not.toBe(nfc);
      expect(await assignment.draw(CAMPAIGN, nfd)).toBe(await assignment.draw(CAMPAIGN, nfc));
      // Compatibility: a campaign's NFC (and ASCII) ids keep the groups they were drawn in.
      expect(await assignment.draw(CAMPAIGN, nfc)).toBe(await rawDraw(CAMPAIGN, nfc));
    }
    expect(await assignment.draw(CAMPAIGN, "k-1")).toBe(await rawDraw(CAMPAIGN, "k-1"));
  });

  test("/decision puts both spellings in one group", async () => {
    for (const nfc of await idsSplitBySpelling(3)) {
      const groups: string[] = [];
      for (const id of [nfc, nfc.normalize("NFD")]) {
        const res = await post("/decision", {
          customer: { id, summary },
          horizon,
          actions,
          campaign: CAMPAIGN,
          control_share: SHARE,
        });
        expect(res.status).toBe(200);
        groups.push(((await res.json()) as { campaign: { group: string } }).campaign.group);
      }
      expect(groups[1]).toBe(groups[0] as string);
      expect(groups[0]).toBe(groupOf(await rawDraw(CAMPAIGN, nfc)));
    }
  });

  test("/decision/batch puts both spellings in one group", async () => {
    const ids = await idsSplitBySpelling(6);
    // One batch composed, one decomposed (one batch cannot list a customer twice).
    const controlOf = async (spelling: "NFC" | "NFD") => {
      const res = await post("/decision/batch", {
        customers: ids.map((nfc) => ({ id: nfc.normalize(spelling), summary })),
        horizon,
        actions,
        budget: 100,
        campaign: CAMPAIGN,
        control_share: SHARE,
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { campaign: { control: Array<{ id: string }> } };
      return answer.campaign.control.map((c) => c.id.normalize("NFC")).sort();
    };
    const composed = await controlOf("NFC");
    expect(await controlOf("NFD")).toEqual(composed);
    const expected: string[] = [];
    for (const nfc of ids)
      if (groupOf(await rawDraw(CAMPAIGN, nfc)) === "control") expected.push(nfc);
    expect(composed).toEqual(expected.sort());
  });
});
