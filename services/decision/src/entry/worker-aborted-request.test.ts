// The decision Worker (workerd, Hyperdrive, a throwaway PostgreSQL cluster) after clients hang up
// mid-request: on Workers a promise belongs to the request that made it, so work one request began
// and others joined (the API keys' re-read, the policy read, a keyed decision in flight) must not
// outlive it shared. It did: every later request was a 500 "This promise was created by a
// request that has since ended", for good.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { postgresBinDirOrWarn } from "@pp/shared/testing/throwaway-postgres.ts";
import {
  type DecisionWorkerd,
  type HyperdriveStack,
  openHyperdriveStack,
} from "../testing/hyperdrive-worker.ts";

const bin = postgresBinDirOrWarn("the decision Worker aborted-request test");
const KEY = "worker-key";

describe.skipIf(!bin)("decision Worker after requests aborted mid-flight", () => {
  let stack: HyperdriveStack;
  let worker: DecisionWorkerd;
  let url: string;

  beforeAll(async () => {
    stack = await openHyperdriveStack(bin as string);
    worker = await stack.start(
      { API_KEYS: KEY, FORECAST_URL: stack.forecastUrl },
      { readyPath: "/ready" },
    );
    url = worker.url;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const decide = (headers: Record<string, string>, signal: AbortSignal) =>
    fetch(`${url}/decision`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({
        customer: { id: "c-1" },
        horizon: { value: 13, unit: "week" },
        actions: [{ id: "email", cost: 0.5, uplift: 0.2, margin: 10 }],
      }),
      signal,
    });

  test("a request hung up on while its reads are in flight leaves later requests answered", async () => {
    const statuses: number[] = [];
    // Six rounds, each abort point once: before the fix every answer from the first on was 500.
    for (let round = 0; round < 6; round++) {
      // Past the keys' 1 s check: the next request starts a re-read, which others join.
      await Bun.sleep(1100);
      const key = { "Idempotency-Key": `abort-${round}` };
      await decide(key, AbortSignal.timeout(2 + (round % 6) * 3)).catch(() => null);
      const retried = await decide(key, AbortSignal.timeout(10_000));
      const plain = await decide({}, AbortSignal.timeout(10_000));
      statuses.push(retried.status, plain.status);
    }
    const errors = worker.output().match(/"status":500[^\n]*/g) ?? [];
    expect({ statuses, errors: errors.slice(0, 2) }).toEqual({
      statuses: statuses.map(() => 200),
      errors: [],
    });
  }, 120_000);
});
