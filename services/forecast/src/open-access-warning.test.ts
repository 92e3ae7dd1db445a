// Without FORECAST_API_KEYS the forecast service answers /forecast and /model-info for anyone who
// reaches its port, and it started without a word of it. Start-up now warns, once, unless it only
// listens on a loopback address.
import { expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { parseConfig } from "./config.ts";
import { buildForecastDeps, startModel } from "./deps.ts";

async function startUpLines(env: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0", ...env }), {
    runtime: "test",
    overrides: { logger: createLogger({ sink: (l) => lines.push(l) }) },
  });
  await startModel(deps);
  deps.model.stopPolling();
  return lines.filter((l) => l.includes("FORECAST_API_KEYS"));
}

test("no keys on every interface: one warning naming FORECAST_API_KEYS and the address", async () => {
  const lines = await startUpLines({});
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0]!) as { level: string; msg: string; host: string };
  expect(line.level).toBe("warn");
  expect(line.msg).toContain("answer anyone");
  expect(line.host).toBe("0.0.0.0");
});

test("no warning with keys, or on a loopback address", async () => {
  expect(await startUpLines({ FORECAST_API_KEYS: "k".repeat(24) })).toEqual([]);
  expect(await startUpLines({ HOST: "127.0.0.1" })).toEqual([]);
  expect(await startUpLines({ HOST: "::1" })).toEqual([]);
  expect(await startUpLines({ HOST: "localhost" })).toEqual([]);
});
