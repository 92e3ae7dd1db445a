import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { AppError } from "../errors/app-error.ts";
import { handleError, notFoundHandler } from "../errors/error-handler.ts";
import type { AppEnv } from "../http/app-env.ts";
import { createLogger, type Logger } from "./logger.ts";
import { chooseRequestId } from "./request-id.ts";
import { requestLogger } from "./request-logger.ts";

function loggedApp() {
  const lines: string[] = [];
  let clock = 1000;
  const app = new Hono<AppEnv>();
  app.use(
    requestLogger({ logger: createLogger({ sink: (l) => lines.push(l) }), now: () => clock }),
  );
  app.onError(handleError);
  app.notFound(notFoundHandler(app));
  app.get("/customers/:id", (c) => {
    clock += 12.5; // the handler "takes" 12.5 ms
    c.get("logFields").customers = 1;
    c.var.logger.info("inside");
    return c.json({ id: c.req.param("id") });
  });
  app.get("/crash", () => {
    throw new Error("kaboom");
  });
  app.get("/not-ready", () => {
    throw new AppError("not_ready", "model not loaded");
  });
  app.get("/raw", () => Response.redirect("http://example.com/", 302));
  app.get("/upstream", () => {
    throw new AppError("unavailable", "upstream unreachable", { logDetail: "fetch failed" });
  });
  const records = () => lines.map((l) => JSON.parse(l));
  return { app, records };
}

describe("requestLogger", () => {
  test("one wide line per request with route pattern, status and duration", async () => {
    const { app, records } = loggedApp();
    const res = await app.request("/customers/42", { headers: { "X-Request-Id": "req-1" } });
    expect(res.headers.get("x-request-id")).toBe("req-1");
    const requestLines = records().filter((r) => r.msg === "request");
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: "info",
      request_id: "req-1",
      method: "GET",
      route: "/customers/:id",
      path: "/customers/42",
      status: 200,
      duration_ms: 12.5,
      customers: 1,
    });
    // Lines logged inside the handler carry the request id too.
    expect(records().find((r) => r.msg === "inside")?.request_id).toBe("req-1");
  });

  test("a line below the logger's level is not built nor passed on", async () => {
    const calls: string[] = [];
    const base = createLogger({ level: "warn", sink: () => {} });
    const spy: Logger = {
      ...base,
      info: (msg) => calls.push(`info ${msg}`),
      warn: (msg) => calls.push(`warn ${msg}`),
      error: (msg) => calls.push(`error ${msg}`),
    };
    const app = new Hono<AppEnv>();
    app.use(requestLogger({ logger: spy, now: () => 0 }));
    app.onError(handleError);
    app.get("/ok", (c) => c.json({}));
    app.get("/not-ready", () => {
      throw new AppError("not_ready", "model not loaded");
    });
    expect((await app.request("/ok")).status).toBe(200);
    expect((await app.request("/not-ready")).status).toBe(503);
    expect(calls).toEqual(["warn request"]);
  });

  test("a missing or unacceptable X-Request-Id is replaced by a UUID", async () => {
    const { app } = loggedApp();
    const uuid = /^[0-9a-f-]{36}$/;
    expect((await app.request("/customers/1")).headers.get("x-request-id")).toMatch(uuid);
    const hostile = await app.request("/customers/1", { headers: { "X-Request-Id": 'a b"c' } });
    expect(hostile.headers.get("x-request-id")).toMatch(uuid);
    expect(chooseRequestId("x".repeat(129))).toMatch(uuid);
    expect(chooseRequestId("trace-abc_123:4")).toBe("trace-abc_123:4");
  });

  test("a 500 logs the real error with its stack at level error", async () => {
    const { app, records } = loggedApp();
    expect((await app.request("/crash")).status).toBe(500);
    const [line] = records();
    expect(line).toMatchObject({ level: "error", status: 500, route: "/crash" });
    expect(line.error.message).toBe("kaboom");
    expect(line.error.stack).toContain("kaboom");
  });

  test("an expected 503 logs its code and message, without a stack", async () => {
    const { app, records } = loggedApp();
    await app.request("/not-ready");
    const [line] = records();
    expect(line).toMatchObject({
      level: "warn",
      status: 503,
      error_code: "not_ready",
      error_message: "model not loaded",
    });
    expect(line.error).toBeUndefined();
  });

  test("an AppError's logDetail is logged, not answered", async () => {
    const { app, records } = loggedApp();
    const res = await app.request("/upstream");
    expect(JSON.stringify(await res.json())).not.toContain("fetch failed");
    expect(records()[0]).toMatchObject({
      status: 503,
      error_message: "upstream unreachable",
      error_detail: "fetch failed",
    });
  });

  test("unmatched paths log route 'unmatched'; immutable responses still get the id", async () => {
    const { app, records } = loggedApp();
    await app.request("/nowhere");
    expect(records()[0]).toMatchObject({ route: "unmatched", status: 404 });
    const raw = await app.request("/raw", { headers: { "X-Request-Id": "raw-1" } });
    expect(raw.status).toBe(302);
    expect(raw.headers.get("x-request-id")).toBe("raw-1");
  });
});
