// The three ways the decision service reaches the forecast service, all reduced to one shape:
// a function from Request to Response. HTTP (FORECAST_URL), a Workers service binding, or the
// forecast app's own `fetch` when both apps run in one process.

export type ForecastTransport = (request: Request) => Promise<Response>;

/** Anything with a Fetch-API `fetch(request)`: a Hono app, a Workers service binding. */
export interface FetchTarget {
  fetch(request: Request): Response | Promise<Response>;
}

/** Over the network with the runtime's `fetch` (or an injected one). */
export function httpTransport(fetchImpl: typeof fetch = fetch): ForecastTransport {
  return (request) => fetchImpl(request);
}

/** Through a Workers service binding (`env.FORECAST`): no public URL involved. */
export function serviceBindingTransport(binding: FetchTarget): ForecastTransport {
  return async (request) => binding.fetch(request);
}

/** In the same process: call the forecast app's `fetch` directly, skipping the network. */
export function inProcessTransport(app: FetchTarget): ForecastTransport {
  return async (request) => app.fetch(request);
}
