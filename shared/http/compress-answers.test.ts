// JSON answers of 1 KiB or more are gzip-compressed when the client accepts gzip (a 2,357-customer
// /forecast answer was 1.7 MB, sent uncompressed on every runtime); smaller ones, clients that do
// not ask, HEAD, and anything not JSON (/metrics, /docs) are sent as before.
import { expect, test } from "bun:test";
import { createLogger } from "../logging/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { jsonAnswer } from "./compress-answers.ts";
import { createServiceApp } from "./service-app.ts";

function app() {
  const app = createServiceApp({
    service: "test",
    version: "0.0.0",
    logger: createLogger({ sink: () => {} }),
    metrics: new MetricsRegistry(),
    now: () => performance.now(),
    readiness: [],
  });
  app.get("/big", (c) =>
    c.json({ items: Array.from({ length: 500 }, (_, i) => ({ id: `é${i}` })) }),
  );
  app.get("/small", (c) => c.json({ ok: true }));
  app.get("/text", (c) => c.text("x".repeat(5000)));
  return app;
}

const get = (path: string, acceptEncoding?: string, method = "GET") =>
  app().request(path, {
    method,
    headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding },
  });

test("a large JSON answer is gzip for a client accepting gzip, byte-identical once decompressed", async () => {
  const plain = new Uint8Array(await (await get("/big")).arrayBuffer());
  const res = await get("/big", "gzip, deflate, br");
  expect(res.headers.get("content-encoding")).toBe("gzip");
  expect(res.headers.get("vary")).toContain("Accept-Encoding");
  expect(res.headers.get("content-type")).toStartWith("application/json");
  const zipped = new Uint8Array(await res.arrayBuffer());
  expect(zipped.length).toBeLessThan(plain.length / 4);
  expect(Bun.gunzipSync(zipped)).toEqual(plain);
});

test("not compressed: no Accept-Encoding, gzip refused (q=0), a small answer, HEAD, text", async () => {
  for (const [path, accept, method] of [
    ["/big", undefined, "GET"],
    ["/big", "identity", "GET"],
    ["/big", "gzip;q=0, identity", "GET"],
    ["/big", "*, gzip;q=0", "GET"],
    ["/small", "gzip", "GET"],
    ["/big", "gzip", "HEAD"],
    ["/text", "gzip", "GET"],
    ["/metrics", "gzip", "GET"],
  ] as const) {
    const res = await get(path, accept, method);
    expect({ path, accept, method, encoding: res.headers.get("content-encoding") }).toEqual({
      path,
      accept,
      method,
      encoding: null,
    });
    expect(res.status).toBe(200);
  }
  expect(await (await get("/small", "gzip")).text()).toBe('{"ok":true}');
});

test("error answers stay readable JSON", async () => {
  const res = await get("/nowhere", "gzip");
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
});

/** A request as Cloudflare (and `wrangler dev`) hands it to a Worker: Accept-Encoding rewritten
 * to "br, gzip", the client's own in cf.clientAcceptEncoding ("" when it sent none). */
function workersRequest(path: string, clientSent: string): Request {
  const req = new Request(`http://worker${path}`, { headers: { "accept-encoding": "br, gzip" } });
  Object.defineProperty(req, "cf", { value: { clientAcceptEncoding: clientSent } });
  return req;
}

test("on Workers the client's own Accept-Encoding decides, not the edge's 'br, gzip'", async () => {
  const big = JSON.stringify({ x: "y".repeat(5000) });
  for (const [clientSent, expected] of [
    ["", null],
    ["identity", null],
    ["br", null],
    ["gzip, deflate", "gzip"],
  ] as const) {
    const viaMiddleware = await app().request(workersRequest("/big", clientSent));
    const viaRoute = jsonAnswer(workersRequest("/forecast", clientSent), big, {});
    expect({
      clientSent,
      middleware: viaMiddleware.headers.get("content-encoding"),
      route: viaRoute.headers.get("content-encoding"),
    }).toEqual({ clientSent, middleware: expected, route: expected });
  }
});
