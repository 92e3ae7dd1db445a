// Configuration is parsed ONCE at start-up from an env record with a zod schema; failures name
// every offending variable, so a misconfigured service stops with a clear message.
import * as z from "zod";
import { artifactStoreUriProblem } from "../artifacts/artifact-store-scheme.ts";
import { plainDecimalFrom } from "../contracts/plain-decimal.ts";
import { isPresentableApiKey, UNPRESENTABLE_API_KEY } from "../http/presented-api-key.ts";
import { logLevels } from "../logging/logger.ts";
import { shownValue } from "./shown-value.ts";

export type EnvRecord = Record<string, string | undefined>;

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join("; ")}`);
    this.issues = issues;
  }
}

/**
 * Parses `env` with `schema` (an object keyed by variable name). Empty strings count as unset,
 * so `PORT=` falls back to the default the way an absent variable does.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: EnvRecord): z.output<S> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== "") present[name] = value;
  }
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? "(env)");
      const raw = present[variable];
      const got = raw === undefined ? "unset" : shownValue(variable, raw);
      return { variable, message: `${issue.message} (${got})` };
    }),
  );
}

/** Keeps the string-valued entries of a record (worker bindings mix strings and objects). */
export function stringEntries(source: Record<string, unknown> | undefined): EnvRecord {
  const env: EnvRecord = {};
  for (const [name, value] of Object.entries(source ?? {})) {
    if (typeof value === "string") env[name] = value;
  }
  return env;
}

// Building blocks for service schemas.

/**
 * A number in plain decimal notation within [min, max] (an integer with `integer`). z.coerce read
 * "0x10" as 16, "1e3" as 1000 and a blank as 0 (`PORT=" "` listened on a random port).
 */
export const numberVar = (options: { min: number; max?: number; integer?: boolean }) => {
  const { min, max = Number.MAX_SAFE_INTEGER, integer = false } = options;
  const bounds = options.max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  const range = `must be ${integer ? "an integer" : "a number"} ${bounds}`;
  const digits = `${range}, in decimal digits`;
  return z
    .string()
    .trim()
    .transform((text, ctx) => {
      const value = plainDecimalFrom(text);
      if (value === null) {
        ctx.addIssue({ code: "custom", message: digits });
        return z.NEVER;
      }
      return value;
    })
    .pipe(
      z
        .number()
        .refine((n) => (!integer || Number.isInteger(n)) && n >= min && n <= max, { error: range }),
    );
};

export const portVar = (defaultPort: number) =>
  numberVar({ integer: true, min: 0, max: 65535 }).default(defaultPort);

/**
 * The address to listen on: an IP address, or localhost. A name that is neither (`999.1.1.1`,
 * `not-a-host`) failed at listen time, where Bun reported it as a port already in use.
 */
export const hostVar = (defaultHost = "0.0.0.0") =>
  z
    .string()
    .trim()
    .transform((h) => h.replace(/^\[(.*)\]$/, "$1")) // [::1] as in a URL
    .refine(
      (h) => h === "localhost" || z.ipv4().safeParse(h).success || z.ipv6().safeParse(h).success,
      {
        error:
          "must be an IP address of this machine (0.0.0.0 for every interface, 127.0.0.1 for this machine only, :: for IPv6) or localhost",
      },
    )
    .default(defaultHost);

/** A PostgreSQL URL, or why not (null: fine): the one check of DATABASE_URL, in every process. */
export function postgresUrlProblem(url: string): string | null {
  if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) return "must be a postgres:// URL";
  return null;
}

/** A string variable checked by `problem` (null: fine), whose words are the error's. */
const checkedVar = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: "custom", message: found });
  });

export const postgresUrlVar = () => checkedVar(postgresUrlProblem);

/** ARTIFACT_STORE_URI: a folder path, a file:// or an s3:// URI (open-artifact-store.ts). */
export const artifactStoreUriVar = () => checkedVar(artifactStoreUriProblem);

export const logLevelVar = z
  .enum(logLevels, { error: `must be one of ${logLevels.join(", ")}` })
  .default("info");

export const urlVar = () => z.url({ error: "must be an absolute URL" });

/** An http:// or https:// URL, e.g. another service's base URL. */
export const httpUrlVar = () =>
  z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" });

/** "1/true/yes/on" or "0/false/no/off", case-insensitive. */
export const booleanVar = (defaultValue: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(
      z.enum(["1", "true", "yes", "on", "0", "false", "no", "off"], {
        error: "must be true or false",
      }),
    )
    .transform((v) => v === "1" || v === "true" || v === "yes" || v === "on")
    .default(defaultValue);

/** Comma-separated list, blanks dropped. */
export const listVar = () =>
  z.string().transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  );

/**
 * Comma-separated API keys, blanks dropped: each one a request can present (presented-api-key.ts).
 * A key with a space inside, or over 512 characters, was taken and then refused on every request.
 */
export const apiKeyListVar = () =>
  listVar().refine((keys) => keys.every(isPresentableApiKey), { error: UNPRESENTABLE_API_KEY });

/** One API key, sent by this service to another that reads it as presented-api-key.ts does. */
export const apiKeyVar = () =>
  z.string().trim().refine(isPresentableApiKey, { error: UNPRESENTABLE_API_KEY });
