// The matched route pattern of a request (`/customers/:id`, not `/customers/42`): logs and
// metrics label by it so that label cardinality stays bounded.
import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** Label used for requests that matched no handler (404s, 405s). */
const unmatchedRoute = "unmatched";

export function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  // Middleware added with app.use() is stored under the pseudo-method "ALL"; the last route
  // with a real method is the handler that answered (or would have, had middleware let it).
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== "ALL") return route.path;
  }
  return unmatchedRoute;
}
