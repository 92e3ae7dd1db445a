// An optional field sent as null (`"campaign": null`) is answered with what to send instead: leave
// the field out, or a value of its type. "must be a string" alone did not say that null means
// nothing here, as it does in many APIs.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type DecisionTestApp, openDecisionTestApp } from "../testing/decision-test-app.ts";

const KEY = "local-dev-key-0123456789";
let decision: DecisionTestApp;
let app: DecisionTestApp["app"];

beforeAll(async () => {
  decision = await openDecisionTestApp({ API_KEYS: KEY });
  app = decision.app;
}, 30_000);

afterAll(() => decision.close());

const actions = [{ id: "email", cost: 0.5, uplift: 0.15, margin: 8 }];
const horizon = { value: 13, unit: "week" };

async function issues(path: string, body: unknown) {
  const res = await app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(400);
  const json = (await res.json()) as {
    error: { details: Array<{ path: string; message: string }> };
  };
  return json.error.details;
}

for (const [route, base] of [
  ["/decision", { customer: { id: "c-1" }, horizon, actions }],
  ["/decision/batch", { customers: [{ id: "c-1" }], horizon, actions, budget: 10 }],
] as const) {
  test(`${route}: "campaign": null says to leave it out or send a campaign id`, async () => {
    const [issue] = await issues(route, { ...base, campaign: null });
    expect(issue?.path).toBe("campaign");
    expect(issue?.message).toContain("null");
    expect(issue?.message).toContain("leave the field out");
    expect(issue?.message).toContain("campaign id");
  });

  test(`${route}: "control_share": null says the same, with a number`, async () => {
    const [issue] = await issues(route, { ...base, campaign: "spring", control_share: null });
    expect(issue?.path).toBe("control_share");
    expect(issue?.message).toContain("leave the field out");
  });

  test(`${route}: a campaign of another type keeps the plain wording`, async () => {
    const [issue] = await issues(route, { ...base, campaign: 7 });
    expect(issue?.message).toBe("must be a string");
  });
}
