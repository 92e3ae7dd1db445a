// A route's path parameters, checked and parsed in one place: `pathParams(schema)` in place of
// zValidator("param", schema, validationHook), read with `c.req.valid("param")` as before.
//
// Hono hands a segment whose percent-encoding does not decode (`%E0%A4%A`, `100%`) to
// c.req.param() as written (at most half decoded), so a route took the text as sent for the name
// meant: an erasure of such a customer id answered 200 with nothing erased (hence the customer
// routes' own check, which this replaces), and a policy name was looked up as written (a 404).
// Each is now a 400 naming the parameter, in the shared error shape, before the schema sees it.
import type { MiddlewareHandler } from "hono";
import type * as z from "zod";
import { validationError } from "../errors/validation.ts";

const MALFORMED = "is not valid percent-encoding (UTF-8): write a % in an id as %25";

/** The parameters of route `pattern` whose segment of `pathname` (as sent) does not decode. */
export function malformedParams(pattern: string, pathname: string): string[] {
  const sent = pathname.split("/");
  const names: string[] = [];
  pattern.split("/").forEach((segment, i) => {
    // ":name", ":name?" or ":name{regex}": the name is up to the first ? or {.
    const name = /^:([^?{]+)/.exec(segment)?.[1];
    if (name === undefined) return;
    try {
      decodeURIComponent(sent[i] ?? "");
    } catch {
      names.push(name);
    }
  });
  return names;
}

/**
 * Middleware that requires the route's path parameters to be well encoded and to match `schema`
 * (a 400 `validation_error` naming each that is not); read them with `c.req.valid("param")`.
 */
export function pathParams<T extends z.ZodType>(
  schema: T,
): MiddlewareHandler<
  // biome-ignore lint/suspicious/noExplicitAny: the same Env/path wildcard Hono's validator uses
  any,
  string,
  { in: { param: z.input<T> }; out: { param: z.output<T> } }
> {
  return async (c, next) => {
    const malformed = malformedParams(c.req.routePath, new URL(c.req.url).pathname);
    if (malformed.length > 0) {
      throw validationError(
        malformed.map((name) => ({ path: [name], message: MALFORMED })),
        "path",
      );
    }
    const result = await schema.safeParseAsync(c.req.param());
    if (!result.success) throw validationError(result.error.issues, "path");
    c.req.addValidatedData("param", result.data as object);
    await next();
  };
}
