// The environment `npm start` gives each service it runs: its port, the decision service's way to
// forecast, and the rate limit where it means "per caller".

export type Service = "forecast" | "decision";

/**
 * With both services running, RATE_LIMIT_RPS/BURST go to the decision service only: each decision
 * calls forecast from it, so forecast's limit would count all decision's callers as one client
 * and refuse (429) decisions the per-caller limit allowed.
 */
export function serviceEnv(
  service: Service,
  parent: Record<string, string | undefined>,
  ports: Record<Service, string>,
  selected: readonly Service[],
): Record<string, string | undefined> {
  // Its runner may die unable to stop it (SIGKILL, the OOM killer: the runner hosts the embedded
  // store): orphaned, the service kept its port and the next `npm start` failed with EADDRINUSE.
  const env: Record<string, string | undefined> = {
    ...parent,
    PORT: ports[service],
    PP_STOP_WITH_PARENT: "1",
  };
  if (service === "decision" && !parent.FORECAST_URL) {
    env.FORECAST_URL = `http://127.0.0.1:${ports.forecast}`;
  }
  if (service === "forecast" && selected.includes("decision")) {
    delete env.RATE_LIMIT_RPS;
    delete env.RATE_LIMIT_BURST;
  }
  return env;
}
