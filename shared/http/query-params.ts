// A route's query parameters, checked and parsed in one place: `queryParams(schema)` in place of
// zValidator("query", schema, validationHook), read with `c.req.valid("query")` as before.
//
// Hono hands a value whose percent-encoding does not decode (`%`, `%ED%A0%80`) to c.req.query()
// as written, so `?after=%` would be read as the text "%": each such parameter is a 400 naming
// it, as pathParams does for path segments. A parameter given twice reaches the schema as an
// array (zValidator's shape), so a schema of strings names it.
import type { MiddlewareHandler } from "hono";
import * as z from "zod";
import { validationError } from "../errors/validation.ts";

const MALFORMED = "is not valid percent-encoding (UTF-8): write a % as %25";

const decodes = (text: string): boolean => {
  try {
    decodeURIComponent(text.replaceAll("+", " "));
    return true;
  } catch {
    return false;
  }
};

/** The names of the parameters of `search` (the URL's `?…`, as sent) that do not decode. */
export function malformedQueryParams(search: string): string[] {
  const names: string[] = [];
  for (const pair of search.replace(/^\?/, "").split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    if (!decodes(name)) names.push(name);
    else if (!decodes(value)) names.push(decodeURIComponent(name.replaceAll("+", " ")));
  }
  return names;
}

/**
 * Middleware that requires the query's parameters to be well encoded and to match `schema` (a
 * 400 `validation_error` naming each that is not); read them with `c.req.valid("query")`.
 */
export function queryParams<T extends z.ZodType>(
  schema: T,
): MiddlewareHandler<
  // biome-ignore lint/suspicious/noExplicitAny: the same Env/path wildcard Hono's validator uses
  any,
  string,
  { in: { query: z.input<T> }; out: { query: z.output<T> } }
> {
  return async (c, next) => {
    const malformed = malformedQueryParams(new URL(c.req.url).search);
    if (malformed.length > 0) {
      throw validationError(
        malformed.map((name) => ({ path: [name], message: MALFORMED })),
        "query",
      );
    }
    const values = Object.fromEntries(
      Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v]),
    );
    const result = await schema.safeParseAsync(values);
    if (!result.success) throw validationError(result.error.issues, "query");
    c.req.addValidatedData("query", result.data as object);
    await next();
  };
}

/**
 * For routes that take no query parameters (those that change state): one sent anyway is a 400
 * naming it. Ignored, `DELETE …/decisions?before=…` erased every decision of the customer and
 * `…/revoke?dry_run=1` revoked the key.
 */
export function noQueryParams(): MiddlewareHandler {
  const check = queryParams(z.strictObject({}));
  // Most requests have no `?`: no URL parsed for them (these guard the hot /decision routes).
  return (c, next) => (c.req.url.includes("?") ? check(c, next) : next());
}

/** noQueryParams for the POST and DELETE requests under a prefix (`app.use`); GETs pass on. */
export function writesTakeNoQuery(): MiddlewareHandler {
  const check = noQueryParams();
  return (c, next) =>
    c.req.method === "POST" || c.req.method === "DELETE" ? check(c, next) : next();
}
