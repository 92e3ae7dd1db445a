// Both services started as real processes with a misconfigured secret and a database URL with a
// password: each stops (exit 1) naming the variables and the problem, and its output holds neither
// the secret nor the password.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { shownValue } from "./shown-value.ts";

const root = resolve(import.meta.dirname, "../..");

function start(service: string, env: Record<string, string>) {
  const run = spawnSync(process.execPath, [`services/${service}/src/entry/bun.ts`], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test("a misconfigured service names the variable, never a secret's value or a URL's password", () => {
  const decision = start("decision", {
    CAMPAIGN_SECRET: "short-secret-15",
    DATABASE_URL: "mysql://app:S3cretPass@db/x",
    FORECAST_API_KEY: "",
  });
  expect(decision.status).toBe(1);
  // Before: `must be at least 16 characters (got "short-secret-15")`, and the URL as given.
  expect(decision.output).toContain(
    "CAMPAIGN_SECRET: must be at least 16 characters (got 15 characters, not shown)",
  );
  expect(decision.output).toContain(
    'DATABASE_URL: must be a postgres:// URL (got \\"mysql://app:***@db/x\\")',
  );
  expect(decision.output).not.toContain("short-secret-15");
  expect(decision.output).not.toContain("S3cretPass");
  const forecast = start("forecast", { MODEL_SOURCE: "url:ftp://ops:S3cretPass@host/b" });
  expect(forecast.status).toBe(1);
  expect(forecast.output).toContain("MODEL_SOURCE");
  expect(forecast.output).not.toContain("S3cretPass");
});

test("values shown: secrets by length only, other values as given but for a URL's password", () => {
  expect(shownValue("ADMIN_API_KEYS", "a,b")).toBe("got 3 characters, not shown");
  expect(shownValue("AWS_SESSION_TOKEN", "t")).toBe("got 1 characters, not shown");
  expect(shownValue("PORT", "80a")).toBe('got "80a"');
  expect(shownValue("MLFLOW_TRACKING_URI", "https://u:p@h/x")).toBe('got "https://u:***@h/x"');
  expect(shownValue("FORECAST_URL", "http://u@h:8001/")).toBe('got "http://u@h:8001/"');
});
