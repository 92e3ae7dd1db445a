// HEAD answers with the Content-Length the GET would send (RFC 9110 §9.3.2). Hono answers HEAD
// with the GET's headers and no body, and without a Content-Length Bun and Deno then sent
// `content-length: 0` (workerd none). Only HEAD requests pay: the GET answer is read to count it.
import type { Context, MiddlewareHandler, Next } from "hono";
import type { AppEnv } from "./app-env.ts";

export function headContentLength(): MiddlewareHandler<AppEnv> {
  return function headContentLength(c, next) {
    return c.req.method === "HEAD" ? withLength(c, next) : next();
  };
}

async function withLength(c: Context<AppEnv>, next: Next): Promise<void> {
  await next();
  const res = c.res;
  if (!res.body || res.headers.has("content-length")) return;
  const bytes = await res.arrayBuffer();
  const headers = new Headers(res.headers);
  headers.set("content-length", String(bytes.byteLength));
  // Unset first: Hono's setter would copy the old answer's headers onto the new one.
  c.res = undefined;
  c.res = new Response(bytes, { status: res.status, statusText: res.statusText, headers });
}
