import { describe, expect, test } from "bun:test";
import * as z from "zod";
import {
  artifactStoreUriVar,
  booleanVar,
  ConfigError,
  hostVar,
  httpUrlVar,
  listVar,
  logLevelVar,
  numberVar,
  parseEnv,
  portVar,
  postgresUrlVar,
  stringEntries,
  urlVar,
} from "./parse-env.ts";

const schema = z.object({
  PORT: portVar(8001),
  LOG_LEVEL: logLevelVar,
  UPSTREAM_URL: urlVar().optional(),
  DEBUG_SQL: booleanVar(false),
  API_KEYS: listVar().default([]),
});

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseEnv", () => {
  test("defaults apply when variables are unset or empty", () => {
    expect(parseEnv(schema, {})).toEqual({
      PORT: 8001,
      LOG_LEVEL: "info",
      DEBUG_SQL: false,
      API_KEYS: [],
    });
    expect(parseEnv(schema, { PORT: "", LOG_LEVEL: "" }).PORT).toBe(8001);
  });

  test("values are coerced from strings", () => {
    const config = parseEnv(schema, {
      PORT: "9000",
      LOG_LEVEL: "debug",
      UPSTREAM_URL: "http://127.0.0.1:8001",
      DEBUG_SQL: "Yes",
      API_KEYS: " a, b ,,c ",
    });
    expect(config).toEqual({
      PORT: 9000,
      LOG_LEVEL: "debug",
      UPSTREAM_URL: "http://127.0.0.1:8001",
      DEBUG_SQL: true,
      API_KEYS: ["a", "b", "c"],
    });
  });

  test("errors name each bad variable and what it held", () => {
    const err = configError({ PORT: "eighty", LOG_LEVEL: "loud", UPSTREAM_URL: "not a url" });
    expect(err.issues.map((i) => i.variable).sort()).toEqual(["LOG_LEVEL", "PORT", "UPSTREAM_URL"]);
    expect(err.message).toContain("PORT: must be an integer from 0 to 65535, in decimal digits");
    expect(err.message).toContain('"eighty"');
    expect(err.message).toContain("LOG_LEVEL: must be one of debug, info, warn, error");
    expect(err.message).toContain("UPSTREAM_URL: must be an absolute URL");
  });

  test("out-of-range ports, fractions, non-http URLs and non-booleans are rejected", () => {
    expect(configError({ PORT: "70000" }).message).toContain(
      'PORT: must be an integer from 0 to 65535 (got "70000")',
    );
    expect(configError({ PORT: "80.5" }).message).toContain("PORT: must be an integer");
    expect(parseEnv(z.object({ U: httpUrlVar() }), { U: "https://x.example/a" }).U).toBe(
      "https://x.example/a",
    );
    expect(() => parseEnv(z.object({ U: httpUrlVar() }), { U: "ftp://x" })).toThrow(
      "U: must be an absolute http(s) URL",
    );
    expect(configError({ DEBUG_SQL: "maybe" }).message).toContain(
      "DEBUG_SQL: must be true or false",
    );
  });

  // z.coerce.number read each of these as a number: "0x1F90" listened on 8080, " " on a random port.
  test("numbers are plain decimal notation: hex, exponents, blanks and Infinity are refused", () => {
    for (const raw of [
      "0x1F90",
      "0b11",
      "0o17",
      "8e3",
      "1_000",
      " ",
      "\t",
      "Infinity",
      "8001abc",
      "--1",
    ]) {
      expect(configError({ PORT: raw }).issues).toEqual([
        expect.objectContaining({
          variable: "PORT",
          message: expect.stringContaining("must be an integer from 0 to 65535, in decimal digits"),
        }),
      ]);
    }
    expect(parseEnv(schema, { PORT: " 9000 " }).PORT).toBe(9000);
    expect(configError({ PORT: "-1" }).message).toContain("must be an integer from 0 to 65535");
    const rate = z.object({
      RPS: numberVar({ min: 0, max: 1000 }),
      N: numberVar({ min: 1, integer: true }),
    });
    expect(parseEnv(rate, { RPS: "2.5", N: "007" })).toEqual({ RPS: 2.5, N: 7 });
    expect(() => parseEnv(rate, { RPS: "1e2", N: "1" })).toThrow(
      "RPS: must be a number from 0 to 1000, in decimal digits",
    );
    expect(() => parseEnv(rate, { RPS: "1", N: "0" })).toThrow(
      "N: must be an integer of at least 1",
    );
  });

  test("HOST is an IP address or localhost; DATABASE_URL a postgres:// URL; ARTIFACT_STORE_URI a path, file:// or s3://", () => {
    const hosts = z.object({ HOST: hostVar() });
    for (const ok of ["0.0.0.0", "127.0.0.1", "::", "::1", "localhost", " 10.0.0.5 "]) {
      expect(parseEnv(hosts, { HOST: ok }).HOST).toBe(ok.trim());
    }
    expect(parseEnv(hosts, { HOST: "[::1]" }).HOST).toBe("::1");
    for (const bad of ["999.1.1.1", "not-a-host", "0.0.0.0:80"]) {
      expect(() => parseEnv(hosts, { HOST: bad })).toThrow("HOST: must be an IP address");
    }
    const stores = z.object({
      DATABASE_URL: postgresUrlVar().optional(),
      ARTIFACT_STORE_URI: artifactStoreUriVar().optional(),
    });
    for (const ok of ["postgres://u@h/db", "postgresql://h:5432/db"]) {
      expect(parseEnv(stores, { DATABASE_URL: ok }).DATABASE_URL).toBe(ok);
    }
    for (const bad of ["garbage", "mysql://u@h/x", "postgres://h:port/x"]) {
      expect(() => parseEnv(stores, { DATABASE_URL: bad })).toThrow(
        "DATABASE_URL: must be a postgres:// URL",
      );
    }
    for (const ok of ["/srv/artifacts", "./a", "file:///srv/a", "s3://bucket/prefix"]) {
      expect(parseEnv(stores, { ARTIFACT_STORE_URI: ok }).ARTIFACT_STORE_URI).toBe(ok);
    }
    expect(() => parseEnv(stores, { ARTIFACT_STORE_URI: "ftp://x" })).toThrow(
      'ARTIFACT_STORE_URI: must be a folder path, a file:// or an s3:// URI ("ftp://" is not supported)',
    );
  });

  test("stringEntries keeps only string values (worker bindings mix in objects)", () => {
    expect(stringEntries({ PORT: "1", KV: { get() {} }, N: 3 })).toEqual({ PORT: "1" });
    expect(stringEntries(undefined)).toEqual({});
  });
});
