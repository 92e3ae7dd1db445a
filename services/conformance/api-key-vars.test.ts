// Configured API keys are read as requests present them (shared/http/presented-api-key.ts): one
// run of 1-512 characters without spaces. FORECAST_API_KEYS="my key" was taken at start and then
// refused on every request ("X-API-Key header is not one key"), since forecast reads keys as
// decision does; before that it was accepted. A key no request can present is refused at start.
import { expect, test } from "bun:test";
import { parseConfig as decisionConfig } from "../decision/src/index.ts";
import { parseConfig as forecastConfig } from "../forecast/src/index.ts";

const refusal = (parse: () => unknown): string => {
  try {
    parse();
    return "accepted";
  } catch (error) {
    return (error as Error).message;
  }
};

test("a configured key with a space inside or over 512 characters is refused at start", () => {
  const cases: Array<[string, () => unknown]> = [
    ["FORECAST_API_KEYS", () => forecastConfig({ FORECAST_API_KEYS: "good-key,my key" })],
    ["FORECAST_API_KEYS", () => forecastConfig({ FORECAST_API_KEYS: "k".repeat(513) })],
    ["API_KEYS", () => decisionConfig({ API_KEYS: "my\tkey" })],
    ["ADMIN_API_KEYS", () => decisionConfig({ ADMIN_API_KEYS: "k".repeat(513) })],
    ["FORECAST_API_KEY", () => decisionConfig({ FORECAST_API_KEY: "my key" })],
  ];
  for (const [variable, parse] of cases) {
    expect(refusal(parse)).toContain(`${variable}: each key must be 1-512 characters`);
  }
});

test("keys a request can present are taken as before (trimmed, blanks dropped)", () => {
  const longest = "k".repeat(512);
  expect(forecastConfig({ FORECAST_API_KEYS: ` a-key , ${longest},` }).FORECAST_API_KEYS).toEqual([
    "a-key",
    longest,
  ]);
  const decision = decisionConfig({ API_KEYS: "k1,k2", FORECAST_API_KEY: " fk " });
  expect(decision.API_KEYS).toEqual(["k1", "k2"]);
  expect(decision.FORECAST_API_KEY).toBe("fk");
});
