// Decision service configuration, parsed once at start-up from the environment.
// Add variables to the schema; `parseConfig` errors name the variable at fault.
import {
  type EnvRecord,
  hostVar,
  httpUrlVar,
  logLevelVar,
  parseEnv,
  portVar,
} from "@pp/shared/config/parse-env.ts";
import { z } from "zod";

export const decisionConfigSchema = z.object({
  PORT: portVar(8002),
  HOST: hostVar(),
  LOG_LEVEL: logLevelVar,
  /** Base URL of the forecast service. */
  FORECAST_URL: httpUrlVar().default("http://127.0.0.1:8001"),
});

export type DecisionConfig = z.output<typeof decisionConfigSchema>;

export function parseConfig(env: EnvRecord): DecisionConfig {
  return parseEnv(decisionConfigSchema, env);
}
