import { afterAll, describe, expect, test } from "bun:test";
import { forecastContractStub } from "../testing/forecast-contract-stub.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { createForecastClient } from "./forecast-client.ts";
import { ForecastUnavailableError } from "./forecast-errors.ts";
import {
  httpTransport,
  inProcessTransport,
  serviceBindingTransport,
} from "./forecast-transports.ts";

const request = {
  horizon: { value: 13, unit: "week" as const },
  customers: [{ id: "c-1" }],
};
const known = { "c-1": { expected_purchases: 2, p_alive: 0.5 } };

async function failure(promise: Promise<unknown>): Promise<ForecastUnavailableError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ForecastUnavailableError);
    return err as ForecastUnavailableError;
  }
  throw new Error("expected the call to fail");
}

describe("transports", () => {
  const stub = forecastContractStub({ known });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: stub.app.fetch });
  afterAll(() => server.stop(true));

  test("HTTP, service binding and in-process give the same answer", async () => {
    const answers = await Promise.all([
      createForecastClient({
        transport: httpTransport(),
        baseUrl: `http://127.0.0.1:${server.port}`,
      }).forecast(request),
      // A Workers service binding is an object with fetch(Request); the URL host is ignored.
      createForecastClient({
        transport: serviceBindingTransport({ fetch: (r) => stub.app.fetch(r) }),
      }).forecast(request),
      createForecastClient({ transport: inProcessTransport(stub.app) }).forecast(request),
    ]);
    for (const answer of answers) {
      expect(answer.model).toEqual({ name: "purchase", version: 3 });
      expect(answer.forecasts[0]?.models?.bgnbd?.expected_purchases).toBe(2);
    }
  });

  test("asks forecast for an uncompressed answer (no gzip between the services)", async () => {
    // fetch asks for gzip by default, and forecast gzips JSON answers of 1 KiB or more: a
    // 10,000-customer batch's answer was compressed and inflated again between two processes on
    // one host (~60 ms per 2.5 MB on Bun), for nothing.
    const seen: Array<string | null> = [];
    const recorder = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (r) => {
        seen.push(r.headers.get("accept-encoding"));
        return stub.app.fetch(r);
      },
    });
    try {
      await createForecastClient({
        transport: httpTransport(),
        baseUrl: `http://127.0.0.1:${recorder.port}`,
      }).forecast(request);
    } finally {
      recorder.stop(true);
    }
    expect(seen).toEqual(["identity"]);
  });

  // Each runtime's fetch words a failed connection its own way; the caller must hear one answer.
  test("an unreachable forecast is the same message on every runtime; the runtime's words go to the log", async () => {
    const seen = [];
    for (const words of [
      "ECONNREFUSED: Unable to connect. Is the computer able to access the url?", // Bun
      "Network connection lost.", // workerd
      "fetch failed", // Deno, Node
    ]) {
      const client = createForecastClient({
        transport: async () => {
          throw new TypeError(words);
        },
      });
      const err = await failure(client.forecast(request));
      expect({ kind: err.kind, detail: err.detail }).toEqual({
        kind: "unreachable",
        detail: words,
      });
      seen.push(err.message);
    }
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toBe("forecast service unreachable: the connection failed");
  });

  test("a closed port is 'unreachable'", async () => {
    const client = createForecastClient({
      transport: httpTransport(),
      baseUrl: "http://127.0.0.1:1",
    });
    expect((await failure(client.forecast(request))).kind).toBe("unreachable");
  });
});

describe("timeouts and failures", () => {
  test("a hanging forecast service times out after timeoutMs", async () => {
    const stub = forecastContractStub({ mode: "hang" });
    const client = createForecastClient({ transport: inProcessTransport(stub.app), timeoutMs: 50 });
    const started = performance.now();
    const err = await failure(client.forecast(request));
    expect(err.kind).toBe("timeout");
    expect(err.message).toContain("50 ms");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test("5xx is bad_status, non-JSON or off-contract answers are bad_response", async () => {
    const stub = forecastContractStub({ mode: "down" });
    const client = createForecastClient({ transport: inProcessTransport(stub.app) });
    expect((await failure(client.forecast(request))).kind).toBe("bad_status");
    stub.state.mode = "garbage";
    expect((await failure(client.forecast(request))).kind).toBe("bad_response");
    const offContract = createForecastClient({
      transport: async () => Response.json({ forecasts: "nope" }),
    });
    const err = await failure(offContract.forecast(request));
    expect(err.kind).toBe("bad_response");
    expect(err.message).toContain("model");
  });
});

describe("circuit breaker", () => {
  test("opens after N consecutive failures, fails fast, half-opens after openMs, closes on success", async () => {
    let now = 0;
    const stub = forecastContractStub({ known, mode: "down" });
    const breaker = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, now: () => now });
    const client = createForecastClient({ transport: inProcessTransport(stub.app), breaker });
    for (let i = 0; i < 3; i++)
      expect((await failure(client.forecast(request))).kind).toBe("bad_status");
    expect(breaker.state).toBe("open");
    const callsWhenOpened = stub.state.calls;
    const fast = await failure(client.forecast(request));
    expect(fast.kind).toBe("circuit_open");
    expect(stub.state.calls).toBe(callsWhenOpened); // not even tried

    now = 1000; // cool-down over: still open (what the gauge shows) until a trial goes out
    expect(breaker.state).toBe("open");
    now = 60_000; // however long no call comes
    expect(breaker.state).toBe("open");
    // One trial; it fails, so open again.
    expect((await failure(client.forecast(request))).kind).toBe("bad_status");
    expect(breaker.state).toBe("open");
    expect((await failure(client.forecast(request))).kind).toBe("circuit_open");

    now = 62_000;
    stub.state.mode = "ok";
    const answer = await client.forecast(request);
    expect(answer.forecasts[0]?.id).toBe("c-1");
    expect(breaker.state).toBe("closed");
  });

  test("only one trial call at a time while half-open", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 10, now: () => now });
    breaker.onFailure();
    expect(breaker.tryAcquire()).toBe(false);
    now = 10;
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe("half_open"); // the trial is in flight
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.tryAcquire()).toBe(true);
  });

  test("a 4xx from the forecast service (the caller's fault) does not trip the breaker", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const client = createForecastClient({
      transport: async () =>
        Response.json({ error: { code: "validation_error" } }, { status: 400 }),
      breaker,
    });
    expect((await failure(client.forecast(request))).status).toBe(400);
    expect(breaker.state).toBe("closed");
  });

  // Forecast's RATE_LIMIT_RPS counts this service as one client: its 429s opened the breaker, and
  // every decision then failed fast as "circuit_open" for FORECAST_BREAKER_OPEN_MS.
  test("a 429 from the forecast service (its rate limit) is named, keeps its Retry-After and does not trip the breaker", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    const client = createForecastClient({
      transport: async () =>
        Response.json(
          { error: { code: "rate_limited" } },
          { status: 429, headers: { "retry-after": "3" } },
        ),
      breaker,
    });
    for (let i = 0; i < 3; i++) {
      const err = await failure(client.forecast(request));
      expect(err.kind).toBe("rate_limited");
      expect(err.retryAfterSeconds).toBe(3);
    }
    expect(breaker.state).toBe("closed");
  });

  test("timeouts count as failures", async () => {
    const stub = forecastContractStub({ mode: "hang" });
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 60_000 });
    const client = createForecastClient({
      transport: inProcessTransport(stub.app),
      timeoutMs: 20,
      breaker,
    });
    await failure(client.forecast(request));
    await failure(client.forecast(request));
    expect((await failure(client.forecast(request))).kind).toBe("circuit_open");
  });
});
