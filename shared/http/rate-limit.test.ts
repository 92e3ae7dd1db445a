import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import * as z from "zod";
import { createLogger } from "../logging/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { AppEnv } from "./app-env.ts";
import { bodySizeLimit } from "./body-size-limit.ts";
import {
  rateLimitConfigShape,
  rateLimiterFromConfig,
  rateLimitKey,
  TokenBucketLimiter,
} from "./rate-limit.ts";
import { createServiceApp } from "./service-app.ts";

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("TokenBucketLimiter", () => {
  test("a burst passes, the next is refused with the wait, refill lets it through", () => {
    const clock = fakeClock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 2, burst: 3, now: clock.now });
    expect([1, 2, 3].map(() => limiter.take("a").allowed)).toEqual([true, true, true]);
    expect(limiter.take("a")).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    clock.advance(499);
    expect(limiter.take("a").allowed).toBe(false);
    clock.advance(2);
    expect(limiter.take("a").allowed).toBe(true);
    // Keys are independent.
    expect(limiter.take("b")).toEqual({ allowed: true, remaining: 2 });
  });

  test("Retry-After rounds the wait up to whole seconds", () => {
    const clock = fakeClock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 0.25, burst: 1, now: clock.now });
    expect(limiter.take("k").allowed).toBe(true);
    expect(limiter.take("k")).toMatchObject({ allowed: false, retryAfterSeconds: 4 });
    clock.advance(2500);
    expect(limiter.take("k")).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
  });

  test("sustained rate equals the configured one over a long run", () => {
    const clock = fakeClock();
    const limiter = new TokenBucketLimiter({ ratePerSecond: 50, burst: 10, now: clock.now });
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      clock.advance(1);
      // A client trying 5 times per millisecond.
      for (let i = 0; i < 5; i++) if (limiter.take("greedy").allowed) allowed++;
    }
    expect(allowed).toBeGreaterThanOrEqual(500);
    expect(allowed).toBeLessThanOrEqual(510); // 10 s × 50/s + the burst
  });

  test("the key map is capped: idle buckets go first, then the least recently used", () => {
    const clock = fakeClock();
    const limiter = new TokenBucketLimiter({
      ratePerSecond: 1,
      burst: 1,
      now: clock.now,
      maxKeys: 100,
    });
    for (let i = 0; i < 1000; i++) limiter.take(`random-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    limiter.take("busy");
    expect(limiter.take("busy").allowed).toBe(false); // still tracked
  });

  test("a full map costs a new client no sweep of it: 2,000 new addresses after 100,000", () => {
    const clock = fakeClock();
    // 1 request per 10 s: no bucket refills while a client sends one request per new address.
    const limiter = new TokenBucketLimiter({ ratePerSecond: 0.1, burst: 1, now: clock.now });
    for (let i = 0; i < 100_000; i++) limiter.take(`ip:10.0.${i >> 8}.${i & 255}`);
    const started = performance.now();
    for (let i = 0; i < 2000; i++) limiter.take(`ip:fd00::${i.toString(16)}`);
    // Before: every new key swept all 100,000 buckets, 8.9 s for these 2,000 (4.4 ms each).
    expect(performance.now() - started).toBeLessThan(1000);
    expect(limiter.size).toBe(100_000);
    clock.advance(10_000); // all refilled: the next new key sweeps them and starts over
    limiter.take("ip:after");
    expect(limiter.size).toBe(1);
  });

  test("bad settings are refused", () => {
    const now = () => 0;
    expect(() => new TokenBucketLimiter({ ratePerSecond: 0, burst: 1, now })).toThrow(RangeError);
    expect(() => new TokenBucketLimiter({ ratePerSecond: 1, burst: 0.5, now })).toThrow(RangeError);
  });
});

describe("config", () => {
  const schema = z.object(rateLimitConfigShape);
  test("off by default; burst defaults to twice the rate", () => {
    expect(rateLimiterFromConfig(schema.parse({}))).toBeNull();
    const limiter = rateLimiterFromConfig(schema.parse({ RATE_LIMIT_RPS: "5" }));
    expect(limiter?.ratePerSecond).toBe(5);
    expect(limiter?.burst).toBe(10);
    expect(
      rateLimiterFromConfig(schema.parse({ RATE_LIMIT_RPS: "5", RATE_LIMIT_BURST: "1" }))?.burst,
    ).toBe(1);
  });
  test("invalid values name the problem", () => {
    expect(schema.safeParse({ RATE_LIMIT_RPS: "-1" }).success).toBe(false);
    expect(schema.safeParse({ RATE_LIMIT_BURST: "1.5" }).success).toBe(false);
    expect(schema.safeParse({ RATE_LIMIT_RPS: "fast" }).success).toBe(false);
  });
});

function serviceApp(limiter: TokenBucketLimiter | null) {
  const app = createServiceApp({
    service: "test",
    version: "0.0.0",
    logger: createLogger({ sink: () => {} }),
    metrics: new MetricsRegistry(),
    now: () => performance.now(),
    readiness: [],
    rateLimiter: limiter,
  });
  app.post("/work", bodySizeLimit(1024, "send less"), async (c) =>
    c.json({ got: (await c.req.text()).length }),
  );
  return app;
}

describe("rateLimit middleware in createServiceApp", () => {
  test("429 JSON with Retry-After per client address; probes and metrics are never limited", async () => {
    const clock = fakeClock();
    const app = serviceApp(new TokenBucketLimiter({ ratePerSecond: 1, burst: 2, now: clock.now }));
    const call = (address: string) =>
      app.request(
        "/work",
        // a fresh random key each time changes nothing: the address is what counts
        { method: "POST", body: "x", headers: { Authorization: `Bearer ${crypto.randomUUID()}` } },
        { requestIP: () => ({ address }) },
      );
    expect((await call("alice")).status).toBe(200);
    const second = await call("alice");
    expect(second.headers.get("x-ratelimit-remaining")).toBe("0");
    const refused = await call("alice");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("content-type")).toContain("application/json");
    expect(await refused.json()).toEqual({
      error: {
        code: "rate_limited",
        message: expect.stringContaining("1 requests/s"),
        details: { limit_per_second: 1, burst: 2, retry_after_s: 1 },
      },
    });
    expect((await call("bob")).status).toBe(200); // another address, another bucket
    for (let i = 0; i < 5; i++) {
      expect((await app.request("/health")).status).toBe(200);
      expect((await app.request("/ready")).status).toBe(200);
    }
    const metrics = await (await app.request("/metrics")).text();
    expect(metrics).toMatch(/http_requests_total\{[^}]*status="429"[^}]*\} 1/);
    clock.advance(1000);
    expect((await call("alice")).status).toBe(200);
  });

  test("an unverified key is ignored (a random key per request must not get a fresh bucket): the client address is the key", async () => {
    const seen: string[] = [];
    const app = new Hono<AppEnv>();
    app.get("/k", (c) => {
      seen.push(rateLimitKey(c));
      return c.body(null, 204);
    });
    const server = { requestIP: () => ({ address: "10.1.2.3" }) };
    await app.request("/k", { headers: { "X-API-Key": "abc" } }, server);
    await app.request("/k", { headers: { Authorization: "Bearer xyz" } }, server);
    await app.request("/k");
    expect(seen).toEqual(["ip:10.1.2.3", "ip:10.1.2.3", "ip:unknown"]);
  });

  test("a client's own CF-Connecting-IP is not its address where the runtime has the peer's", async () => {
    // Anyone can send the header: taken first on Bun, Node and Deno, a new value per request was a
    // new bucket per request (the per-address limit bypassed, and the bucket map filled).
    const seen: string[] = [];
    const app = new Hono<AppEnv>();
    app.get("/k", (c) => {
      seen.push(rateLimitKey(c));
      return c.body(null, 204);
    });
    const spoofed = { headers: { "CF-Connecting-IP": "203.0.113.9" } };
    await app.request("/k", spoofed, { requestIP: () => ({ address: "10.1.2.3" }) }); // Bun
    await app.request("/k", spoofed, { incoming: { socket: { remoteAddress: "10.1.2.4" } } }); // Node
    await app.request("/k", spoofed, { remoteAddr: { hostname: "10.1.2.5" } }); // Deno
    await app.request("/k", spoofed, {}); // Workers: no socket, Cloudflare sets the header
    expect(seen).toEqual(["ip:10.1.2.3", "ip:10.1.2.4", "ip:10.1.2.5", "ip:203.0.113.9"]);
  });

  test("no limiter configured: nothing is refused", async () => {
    const app = serviceApp(null);
    for (let i = 0; i < 50; i++)
      expect((await app.request("/work", { method: "POST", body: "x" })).status).toBe(200);
  });
});

describe("bodySizeLimit", () => {
  test("413 JSON naming the limit, with or without Content-Length", async () => {
    const app = serviceApp(null);
    expect((await app.request("/work", { method: "POST", body: "x".repeat(1024) })).status).toBe(
      200,
    );
    const big = await app.request("/work", { method: "POST", body: "x".repeat(1025) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({
      error: {
        code: "payload_too_large",
        message: "Request body exceeds 1024 bytes; send less",
        details: [{ path: "body", message: "larger than 1024 bytes" }],
      },
    });
    // A streamed body (no Content-Length) is counted as it arrives.
    const chunk = new TextEncoder().encode("y".repeat(600));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const streamed = await app.request("/work", {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  test("a declared Content-Length is checked without reading the body", async () => {
    const app = serviceApp(null);
    const post = (length: number, declared = length) =>
      app.request("/work", {
        method: "POST",
        body: "x".repeat(length),
        headers: { "Content-Length": String(declared) },
      });
    expect((await post(1024)).status).toBe(200);
    expect((await post(1025)).status).toBe(413);
    // The declared length decides (the server reads no more than it): the body is not counted.
    const big = await post(1, 1025);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe(
      "payload_too_large",
    );
  });
});
