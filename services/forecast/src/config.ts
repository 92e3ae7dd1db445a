// Forecast service configuration, parsed once at start-up from the environment.
// Add variables to the schema; `parseConfig` errors name the variable at fault.
import {
  type EnvRecord,
  hostVar,
  logLevelVar,
  parseEnv,
  portVar,
} from "@pp/shared/config/parse-env.ts";
import { z } from "zod";

export const forecastConfigSchema = z.object({
  PORT: portVar(8001),
  HOST: hostVar(),
  LOG_LEVEL: logLevelVar,
});

export type ForecastConfig = z.output<typeof forecastConfigSchema>;

export function parseConfig(env: EnvRecord): ForecastConfig {
  return parseEnv(forecastConfigSchema, env);
}
