// HEAD answers carry the Content-Length the GET would (RFC 9110 §9.3.2): Bun and Deno sent
// `content-length: 0` for Hono's body-less HEAD answer, where the GET of /health sent 67.
import { expect, test } from "bun:test";
import { createLogger } from "../logging/logger.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
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
  app.get("/thing", (c) => c.json({ name: "José", items: [1, 2, 3] }));
  return app;
}

test("HEAD: the GET's Content-Length (bytes, not characters), no body, same status", async () => {
  const get = await app().request("/thing");
  const bytes = (await get.arrayBuffer()).byteLength;
  const head = await app().request("/thing", { method: "HEAD" });
  expect(head.status).toBe(200);
  expect(head.headers.get("content-length")).toBe(String(bytes));
  expect(head.headers.get("content-type")).toStartWith("application/json");
  expect((await head.arrayBuffer()).byteLength).toBe(0);
  const missing = await app().request("/nowhere", { method: "HEAD" });
  expect(missing.status).toBe(404);
  expect(Number(missing.headers.get("content-length"))).toBeGreaterThan(0);
});
