// Bun.serve's idleTimeout also drops a slow HANDLER's connection, with no answer: a 6 s handler
// under IDLE_TIMEOUT_S=2 got ECONNRESET after ~4 s (Bun checks idleness every few s; a 3 s one
// got through), so a decision or forecast limit set above
// IDLE_TIMEOUT_S (FORECAST_BATCH_TIMEOUT_MS, INTERVALS_TIME_LIMIT_MS) never sent its 504/413 to a
// Bun client. The Bun entries pass their handler limits: the idleTimeout is raised to cover them,
// and a limit that cannot fit under Bun's 255 s refuses the start, naming both variables.
import { afterEach, expect, test } from "bun:test";
import { ConfigError } from "@pp/shared/config/parse-env.ts";
import { bunServeOptions, type SlowClientConfig } from "@pp/shared/http/bun-serve-options.ts";
import { Hono } from "hono";
import {
  parseConfig as decisionConfig,
  handlerTimeLimits as decisionLimits,
} from "../decision/src/index.ts";
import {
  parseConfig as forecastConfig,
  handlerTimeLimits as forecastLimits,
} from "../forecast/src/index.ts";

let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

test("a decision handler slower than IDLE_TIMEOUT_S, within FORECAST_BATCH_TIMEOUT_MS, gets its answer on Bun", async () => {
  // IDLE_TIMEOUT_S 6 (the body deadline must end 5 s before it): a 10 s handler outlasts it.
  const config = decisionConfig({
    IDLE_TIMEOUT_S: "6",
    BODY_READ_TIMEOUT_MS: "1000",
    FORECAST_BATCH_TIMEOUT_MS: "12000",
  });
  const app = new Hono();
  app.get("/slow", async (c) => {
    await Bun.sleep(10_000);
    return c.json({ done: true });
  });
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    ...bunServeOptions(config, decisionLimits(config)),
    fetch: app.fetch,
  });
  const res = await fetch(`http://127.0.0.1:${server.port}/slow`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ done: true });
}, 30_000);

test("the defaults keep IDLE_TIMEOUT_S's 120 s (60 s body + 30 s handler + 5 s fit under it)", () => {
  const d = decisionConfig({});
  expect(bunServeOptions(d, decisionLimits(d)).idleTimeout).toBe(120);
  const f = forecastConfig({});
  expect(bunServeOptions(f, forecastLimits(f)).idleTimeout).toBe(120);
  // Raised to cover body + handler, capped at Bun's 255 s.
  const big = forecastConfig({ INTERVALS_TIME_LIMIT_MS: "200000" });
  expect(bunServeOptions(big, forecastLimits(big)).idleTimeout).toBe(255);
});

function startError(limits: Record<string, number>, config: SlowClientConfig): ConfigError {
  try {
    bunServeOptions(config, limits);
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error("started");
}

test("a handler limit that cannot end within 255 s refuses the Bun start, naming both variables", () => {
  const d = decisionConfig({ FORECAST_BATCH_TIMEOUT_MS: "600000" });
  const err = startError(decisionLimits(d), d);
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.issues.map((i) => i.variable)).toEqual(["FORECAST_BATCH_TIMEOUT_MS"]);
  expect(err.message).toContain("600000 ms cannot end before Bun's idle timeout (IDLE_TIMEOUT_S");
  expect(err.message).toContain("set FORECAST_BATCH_TIMEOUT_MS to at most 250000");
  const f = forecastConfig({ INTERVALS_TIME_LIMIT_MS: "251000" });
  expect(startError(forecastLimits(f), f).message).toContain("INTERVALS_TIME_LIMIT_MS: 251000 ms");
  // 250 s + 5 s fits: started, with the idle timeout at Bun's most.
  const most = forecastConfig({ INTERVALS_TIME_LIMIT_MS: "250000" });
  expect(bunServeOptions(most, forecastLimits(most)).idleTimeout).toBe(255);
});
