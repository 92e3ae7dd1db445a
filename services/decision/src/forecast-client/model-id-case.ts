// Asks the forecast service's GET /model-info whether its model reads customer ids lower-cased
// (`ids_lower_cased`): what a lookup or an erasure in a decision store kept apart from the registry
// needs to know when no /forecast answer has told it yet (decisions logged before this version of
// the service ran). Best effort: any failure is "unknown", and the caller goes on without it.
import type { ForecastTransport } from "./forecast-transports.ts";

export interface ModelIdCaseOptions {
  transport: ForecastTransport;
  baseUrl?: string;
  apiKey?: string;
  timeoutMs?: number;
}

/** true/false as the forecast service says; null when it cannot be asked or does not say. */
export async function askIdsLowerCased(options: ModelIdCaseOptions): Promise<boolean | null> {
  const url = new URL("/model-info", options.baseUrl ?? "http://forecast.internal").href;
  const headers: Record<string, string> = { accept: "application/json" };
  if (options.apiKey) headers["x-api-key"] = options.apiKey;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 2000);
  try {
    const res = await options.transport(new Request(url, { headers, signal }));
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    const info = (await res.json()) as { ids_lower_cased?: unknown };
    return typeof info.ids_lower_cased === "boolean" ? info.ids_lower_cased : null;
  } catch {
    return null;
  }
}
