// Bun gives a request that names no host (HTTP/1.0 without a Host header, as HAProxy's default
// health check sends it, or an empty Host) a URL of its path alone: "/health". Hono reads the path
// from the ninth character of an absolute URL, so it routed that to "h" and the live service
// answered 404. Such a request is passed on as if to localhost.

type Fetch<Rest extends unknown[]> = (
  request: Request,
  ...rest: Rest
) => Response | Promise<Response>;

/** `fetch` for Bun.serve, with a path-only request URL made absolute (http://localhost/…). */
export function withHostlessRequests<Rest extends unknown[]>(fetch: Fetch<Rest>): Fetch<Rest> {
  return (request, ...rest) =>
    request.url.charCodeAt(0) === 47 // "/": no scheme, no host
      ? fetch(new Request(`http://localhost${request.url}`, request), ...rest)
      : fetch(request, ...rest);
}
