// The forecast app with FORECAST_API_KEYS and a rate limit: the key is read from the request's
// headers once (the limiter and the key middleware share what was read and compared), and the
// limit still counts per verified key, else per client address. Before, both read and compared
// the key (Authorization and X-API-Key each read twice a request).
import { expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { createApp } from "./app.ts";
import { parseConfig } from "./config.ts";
import { buildForecastDeps } from "./deps.ts";

const KEY_1 = "forecast-limit-key-one-0123456789";
const KEY_2 = "forecast-limit-key-two-0123456789";

/** Burst 2, and a refill so slow (1 token in 1,000 s) that no test run sees one. */
function limitedApp() {
  const config = parseConfig({
    FORECAST_API_KEYS: `${KEY_1},${KEY_2}`,
    RATE_LIMIT_RPS: "0.001",
    RATE_LIMIT_BURST: "2",
  });
  return createApp(
    buildForecastDeps(config, {
      runtime: "test",
      overrides: { logger: createLogger({ sink: () => {} }) },
    }),
  );
}

/** A POST /forecast of `{}` (a known key gets 400 for the body) counting its key headers' reads. */
function countedRequest(headers: Record<string, string>) {
  const request = new Request("http://forecast.test/forecast", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });
  const reads: Record<string, number> = { authorization: 0, "x-api-key": 0 };
  const get = request.headers.get.bind(request.headers);
  request.headers.get = (name: string) => {
    const lower = name.toLowerCase();
    if (lower in reads) reads[lower] = (reads[lower] ?? 0) + 1;
    return get(name);
  };
  return { request, reads };
}

test("a keyed request's key headers are read once, whatever it is answered", async () => {
  const app = limitedApp();
  const cases: Array<[Record<string, string>, number]> = [
    [{ "x-api-key": KEY_1 }, 400],
    [{ authorization: `Bearer ${KEY_2}`, "x-api-key": "wrong" }, 400],
    [{ "x-api-key": "not-a-key" }, 401],
    [{ authorization: "Basic dXNlcjpwYXNz" }, 401],
  ];
  const seen: string[] = [];
  for (const [headers, status] of cases) {
    const { request, reads } = countedRequest(headers);
    const res = await app.fetch(request);
    await res.text();
    expect(res.status).toBe(status);
    seen.push(`${Object.keys(headers).join("+")}: ${JSON.stringify(reads)}`);
  }
  const once = JSON.stringify({ authorization: 1, "x-api-key": 1 });
  expect(seen).toEqual(cases.map(([headers]) => `${Object.keys(headers).join("+")}: ${once}`));
});

test("each key has its own bucket; requests without a valid key take none of a key's tokens", async () => {
  const app = limitedApp();
  const status = async (headers: Record<string, string>) => {
    const { request } = countedRequest(headers);
    const res = await app.fetch(request);
    await res.text();
    return res.status;
  };
  // No key, a wrong key and an unreadable header share the address bucket (burst 2), and empty it.
  expect(await status({})).toBe(401);
  expect(await status({ "x-api-key": "not-a-key" })).toBe(401);
  expect(await status({ authorization: "Basic dXNlcjpwYXNz" })).toBe(429);
  // KEY_1's bucket is whole; Bearer wins over a wrong X-API-Key and counts against KEY_1.
  expect(await status({ "x-api-key": KEY_1 })).toBe(400);
  expect(await status({ authorization: `Bearer ${KEY_1}`, "x-api-key": "wrong" })).toBe(400);
  expect(await status({ "x-api-key": KEY_1 })).toBe(429);
  // KEY_2 took nothing from KEY_1's or the address's bucket, nor they from its.
  expect(await status({ "x-api-key": KEY_2 })).toBe(400);
  expect(await status({ authorization: `Bearer ${KEY_2}` })).toBe(400);
  expect(await status({ "x-api-key": KEY_2 })).toBe(429);
  expect(await status({ "x-api-key": "not-a-key" })).toBe(429);
});
