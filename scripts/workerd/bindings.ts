// Which environment variables become a worker's text bindings: the service's own config
// variables (PORT/HOST configure workerd's socket instead).
import { decisionConfigSchema } from "../../services/decision/src/config.ts";
import { forecastConfigSchema } from "../../services/forecast/src/config.ts";

export const schemas = { forecast: forecastConfigSchema, decision: decisionConfigSchema } as const;
export const defaultPorts = { forecast: 8001, decision: 8002 } as const;

/** The service's config variables that are set in `env` (PORT/HOST belong to the socket). */
export function workerBindings(
  service: keyof typeof schemas,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const bindings: Record<string, string> = {};
  for (const name of Object.keys(schemas[service].shape)) {
    const value = env[name];
    if (value !== undefined && value !== "" && name !== "PORT" && name !== "HOST") {
      bindings[name] = value;
    }
  }
  return bindings;
}
