// gzip for large JSON answers, when the client accepts it (CompressionStream: Web-standard, on
// Bun, Deno and workerd). A 2,357-customer /forecast answer was 1.7 MB on the wire on every
// runtime. Answers under `threshold` bytes, clients that do not send Accept-Encoding: gzip, HEAD,
// and anything not JSON (/metrics, /docs) go out as before; a client not asking pays one header
// read. hono/compress was not used: it compresses any answer without a Content-Length (every
// c.json one, however small) and adds Vary to every answer.
import type { Context, MiddlewareHandler, Next } from "hono";
import { ANSWER_HEADERS } from "./answer-headers.ts";
import type { AppEnv } from "./app-env.ts";

const jsonType = /^application\/([\w.-]+\+)?json\b/i;

/** workerd gzips a body itself when Content-Encoding is set, unless told the body is encoded
 * already (`encodeBody: "manual"`); other runtimes ignore the field. */
const encoded = { encodeBody: "manual" } as ResponseInit;

/** True when Accept-Encoding lists gzip (or, gzip not named, *) with a q above 0. A named gzip
 * outranks * (RFC 9110 §12.5.3): `*, gzip;q=0` refuses gzip. */
export function acceptsGzip(header: string): boolean {
  let any: boolean | undefined;
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.split(";");
    const coding = name.trim().toLowerCase();
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith("q="));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding !== "*") return accepted;
    any ??= accepted;
  }
  return any ?? false;
}

export const COMPRESS_THRESHOLD_BYTES = 1024;

/**
 * The Accept-Encoding the client sent. On Cloudflare Workers the edge sets every request's header
 * to "br, gzip" and keeps the client's own in `request.cf.clientAcceptEncoding` ("" when it sent
 * none); `wrangler dev` does the same. Read from the header, every answer of 1 KiB or more was
 * gzipped on Workers: `curl` without --compressed got gzip bytes from `wrangler dev`.
 */
export function clientAcceptEncoding(request: Request): string | null {
  const cf = (request as { cf?: { clientAcceptEncoding?: unknown } }).cf;
  if (typeof cf?.clientAcceptEncoding === "string") return cf.clientAcceptEncoding;
  return request.headers.get("accept-encoding");
}

/**
 * `ownPaths` compress their answers themselves (jsonAnswer): the hot /forecast, whose answer is
 * a string in hand, so a small one is not read back to be measured (~4 µs on Bun).
 */
export function compressAnswers(
  ownPaths: readonly string[] = [],
  threshold = COMPRESS_THRESHOLD_BYTES,
): MiddlewareHandler<AppEnv> {
  // Not async: a request not asking for gzip only passes next()'s promise on.
  return function compressAnswers(c, next) {
    const accepted = clientAcceptEncoding(c.req.raw);
    if (accepted === null || c.req.method === "HEAD" || !acceptsGzip(accepted)) return next();
    if (ownPaths.includes(c.req.path)) return next();
    return compressAfter(c, next, threshold);
  };
}

/** `data` gzipped as a stream (both paths below send their answer through it). */
const gzip = (data: string | ArrayBuffer) =>
  new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));

/** A JSON answer from its text, gzip when the client accepts it and it is not small. It carries
 * ANSWER_HEADERS: Hono adds its prepared headers only to answers it builds. */
export function jsonAnswer(
  request: Request,
  text: string,
  ownHeaders: Record<string, string>,
  threshold = COMPRESS_THRESHOLD_BYTES,
): Response {
  const headers = { ...ANSWER_HEADERS, ...ownHeaders };
  // Characters, not bytes: an answer just under the threshold in characters is sent as is.
  if (text.length < threshold) return new Response(text, { headers });
  const accepted = clientAcceptEncoding(request);
  if (accepted === null || !acceptsGzip(accepted)) return new Response(text, { headers });
  return new Response(gzip(text), {
    ...encoded,
    headers: { ...headers, "content-encoding": "gzip", vary: "Accept-Encoding" },
  });
}

async function compressAfter(c: Context<AppEnv>, next: Next, threshold: number): Promise<void> {
  await next();
  const res = c.res;
  const type = res.headers.get("content-type");
  if (!res.body || !type || !jsonType.test(type) || res.headers.has("content-encoding")) return;
  const declared = res.headers.get("content-length");
  if (declared !== null && Number(declared) < threshold) return;
  // A JSON answer is in memory already: measured, and sent as is when small.
  const bytes = await res.arrayBuffer();
  const init = {
    status: res.status,
    statusText: res.statusText,
    headers: new Headers(res.headers),
  };
  // Unset first: Hono's setter copies the old answer's headers (Content-Length too) onto the new.
  c.res = undefined;
  if (bytes.byteLength < threshold) {
    c.res = new Response(bytes, init);
    return;
  }
  init.headers.delete("content-length");
  init.headers.set("content-encoding", "gzip");
  const vary = init.headers.get("vary");
  init.headers.set("vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
  c.res = new Response(gzip(bytes), { ...encoded, ...init });
}
