import { describe, expect, test } from "bun:test";
import { zValidator } from "@hono/zod-validator";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import * as z from "zod";
import { createDatabase } from "../db/client.ts";
import { queryRows } from "../db/database.ts";
import { freePort } from "../testing/free-port.ts";
import { AppError } from "./app-error.ts";
import { errorStatus } from "./error-codes.ts";
import { allowedMethods, handleError, notFoundHandler } from "./error-handler.ts";
import { jsonBody, validationHook } from "./validation.ts";

function appWithErrors() {
  const app = new Hono();
  app.onError(handleError);
  app.notFound(notFoundHandler(app));
  app.get("/boom", () => {
    throw new Error("db password is hunter2");
  });
  app.get("/teapot", () => {
    throw new AppError("rate_limited", "Slow down", {
      details: { limit: 10 },
      headers: { "Retry-After": "5" },
    });
  });
  app.get("/hono", () => {
    throw new HTTPException(413, { message: "Body too big" });
  });
  app.get("/items/:id", (c) => c.json({ id: c.req.param("id") }));
  app.delete("/items/:id", (c) => c.body(null, 204));
  app.post(
    "/orders",
    jsonBody(
      z.object({
        customer_id: z.string(),
        items: z.array(z.object({ qty: z.number().int().positive() })),
      }),
    ),
    (c) => c.json(c.req.valid("json")),
  );
  app.get(
    "/search",
    zValidator("query", z.object({ limit: z.coerce.number().int().max(100) }), validationHook),
    (c) => c.json(c.req.valid("query")),
  );
  return app;
}

const app = appWithErrors();

async function errorBody(res: Response) {
  expect(res.headers.get("content-type")).toContain("application/json");
  return ((await res.json()) as { error: { code: string; message: string; details?: unknown } })
    .error;
}

describe("error codes", () => {
  test("each code maps to its HTTP status", () => {
    expect(new AppError("validation_error", "x").status).toBe(400);
    expect(new AppError("unauthorized", "x").status).toBe(401);
    expect(new AppError("method_not_allowed", "x").status).toBe(405);
    expect(new AppError("unsupported_media_type", "x").status).toBe(415);
    expect(new AppError("not_ready", "x").status).toBe(503);
    for (const status of Object.values(errorStatus)) expect(status).toBeGreaterThanOrEqual(400);
  });
});

describe("handleError", () => {
  test("an unexpected error is an opaque 500 that leaks neither message nor stack", async () => {
    const res = await app.request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: "internal", message: "Internal server error" },
    });
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("at ");
  });

  test("an AppError keeps its code, details and headers", async () => {
    const res = await app.request("/teapot");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await errorBody(res)).toEqual({
      code: "rate_limited",
      message: "Slow down",
      details: { limit: 10 },
    });
  });

  test("a query on a database that is away is a 503 to retry, naming no host", async () => {
    // A real driver error: a query through drizzle to a port where nothing listens.
    const port = await freePort();
    const handle = await createDatabase({ databaseUrl: `postgres://u@127.0.0.1:${port}/x` });
    const db = new Hono();
    db.onError(handleError);
    db.get("/rows", async (c) => c.json(await queryRows(handle.db, sql`select 1 as one`)));
    try {
      const res = await db.request("/rows");
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe("unavailable");
      // details names the dependency and its reason, as every 503 (README's error table): a
      // client branches on details.database, where this 503 had no details at all.
      expect(JSON.parse(text).error.details).toEqual({ database: { reason: "ECONNREFUSED" } });
      expect(text).not.toContain(String(port));
    } finally {
      await handle.close();
    }
  });

  test("Hono's HTTPException gets the shared shape and a code from its status", async () => {
    const res = await app.request("/hono");
    expect(res.status).toBe(413);
    expect(await errorBody(res)).toEqual({ code: "payload_too_large", message: "Body too big" });
  });
});

describe("404 and 405", () => {
  test("an unknown path is a 404 naming method and path", async () => {
    const res = await app.request("/nothing/here");
    expect(res.status).toBe(404);
    expect(await errorBody(res)).toEqual({
      code: "not_found",
      message: "No route for GET /nothing/here",
    });
  });

  test("a known path with another method is a 405 with Allow", async () => {
    const res = await app.request("/items/7", { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, DELETE");
    const error = await errorBody(res);
    expect(error.code).toBe("method_not_allowed");
    expect(error.details).toEqual({ method: "PUT", allowed: ["GET", "HEAD", "DELETE"] });
  });

  test("middleware alone does not make a path 'exist'", () => {
    const withMiddleware = new Hono();
    withMiddleware.use("/admin/*", async (_c, next) => next());
    expect(allowedMethods(withMiddleware, "/admin/x")).toEqual([]);
  });
});

describe("jsonBody", () => {
  const post = (body: string, contentType = "application/json") =>
    app.request("/orders", { method: "POST", body, headers: { "Content-Type": contentType } });

  test("a valid body reaches the handler", async () => {
    const res = await post('{"customer_id":"c1","items":[{"qty":2}]}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ customer_id: "c1", items: [{ qty: 2 }] });
  });

  test("malformed JSON is a 400 that names the problem", async () => {
    const res = await post('{"customer_id": ');
    expect(res.status).toBe(400);
    const error = await errorBody(res);
    expect(error.code).toBe("bad_request");
    // The place in our own words: Bun said "JSON Parse error: Unexpected EOF", V8 (Node, Deno,
    // workerd) "Unexpected end of JSON input", so the same request's 400 differed by runtime.
    const problem = "unexpected end of input at line 1, column 17";
    expect(error.message).toBe(`Request body is not valid JSON: ${problem}`);
    expect(error.details).toEqual([{ path: "body", message: problem }]);
  });

  test("an empty body says so", async () => {
    const error = await errorBody(await post(""));
    expect(error.message).toBe("Request body is not valid JSON: body is empty");
  });

  test("another Content-Type is a 415", async () => {
    const res = await post("customer_id=c1", "application/x-www-form-urlencoded");
    expect(res.status).toBe(415);
    expect((await errorBody(res)).message).toContain("application/x-www-form-urlencoded");
  });

  // JSON between systems is UTF-8 (RFC 8259). A .NET client's StringContent with
  // Encoding.Unicode labels its body `charset=utf-16` and sends UTF-16: read as UTF-8, that was a
  // 400 "unexpected \u0000 … at line 1, column 2", naming neither the charset nor the fix.
  test("a body labelled UTF-16 or UTF-32 is a 415 naming the charset; utf-8 and ASCII pass", async () => {
    const body = '{"customer_id":"c1","items":[{"qty":2}]}';
    const utf16 = new Uint8Array(Buffer.from(body, "utf16le"));
    for (const charset of ["utf-16", "UTF-16LE", '"utf-16be"', "utf-32", "ucs-2"]) {
      const res = await app.request("/orders", {
        method: "POST",
        body: utf16,
        headers: { "Content-Type": `application/json; charset=${charset}` },
      });
      expect(res.status).toBe(415);
      const error = await errorBody(res);
      const name = charset.replaceAll('"', "");
      expect(error.message).toBe(
        `Content-Type's charset "${name}" is not accepted: send the JSON as UTF-8 (charset=utf-8, or no charset)`,
      );
      expect(error.details).toEqual([{ path: "content-type", message: "expected charset utf-8" }]);
    }
    for (const charset of ["utf-8", "UTF8", '"utf-8"', "us-ascii", "iso-8859-1"]) {
      const res = await app.request("/orders", {
        method: "POST",
        body,
        headers: { "Content-Type": `application/json; charset=${charset}` },
      });
      expect(res.status).toBe(200);
    }
  });

  test("a compressed body is a 415 naming Content-Encoding; identity is a plain body", async () => {
    const body = '{"customer_id":"c1","items":[{"qty":2}]}';
    for (const encoding of ["gzip", "br", "deflate"]) {
      const res = await app.request("/orders", {
        method: "POST",
        body: encoding === "gzip" ? Bun.gzipSync(body) : body,
        headers: { "Content-Type": "application/json", "Content-Encoding": encoding },
      });
      expect(res.status).toBe(415);
      const error = await errorBody(res);
      expect(error.details).toEqual([
        { path: "content-encoding", message: "expected none (identity)" },
      ]);
      expect(error.message).toBe(
        `Content-Encoding "${encoding}" is not accepted: send the body uncompressed`,
      );
    }
    const plain = await app.request("/orders", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Content-Encoding": "identity" },
    });
    expect(plain.status).toBe(200);
  });

  test("a body not in UTF-8 is a 400 naming the first byte that is not; UTF-8 itself passes", async () => {
    const send = (bytes: number[]) =>
      app.request("/orders", {
        method: "POST",
        body: new Uint8Array(bytes),
        headers: { "Content-Type": "application/json" },
      });
    const ascii = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0));
    const cases: Array<[number[], string]> = [
      // Windows-1252 "José": the é (0xE9) starts a sequence the quote does not continue.
      [[...ascii('{"customer_id":"Jos'), 0xe9, ...ascii('","items":[]}')], "byte 19 (E9 22 2C 22)"],
      // A stray continuation byte after a complete "é".
      [
        [...ascii('{"customer_id":"'), 0xc3, 0xa9, 0x80, ...ascii('","items":[]}')],
        "byte 18 (80 22 2C 22)",
      ],
      // A sequence cut off by the end of the body.
      [[...ascii('{"customer_id":"x","items":[]}'), 0xe2, 0x82], "byte 30 (E2 82)"],
      [[0xff, ...ascii("{}")], "byte 0 (FF 7B 7D)"],
    ];
    for (const [bytes, where] of cases) {
      const res = await send(bytes);
      expect(res.status).toBe(400);
      const error = await errorBody(res);
      expect(error.code).toBe("bad_request");
      expect(error.details).toEqual([{ path: "body", message: `not UTF-8 from ${where}` }]);
      expect(error.message).toContain("send the JSON encoded as UTF-8");
    }
    // The same names in UTF-8, a literal U+FFFD and a byte-order mark are read as before.
    const utf8 = (text: string) => Array.from(new TextEncoder().encode(text));
    for (const id of ["José", "Josè", "\uFFFD", "日本"]) {
      const res = await send(utf8(`{"customer_id":"${id}","items":[]}`));
      expect(res.status).toBe(200);
      expect(((await res.json()) as { customer_id: string }).customer_id).toBe(id);
    }
    const withBom = await send([0xef, 0xbb, 0xbf, ...utf8('{"customer_id":"c","items":[]}')]);
    expect(withBom.status).toBe(200);
  });

  test("schema failures list {path, message} per field", async () => {
    const res = await post('{"items":[{"qty":2},{"qty":-1}]}');
    expect(res.status).toBe(400);
    const error = await errorBody(res);
    expect(error.code).toBe("validation_error");
    const details = error.details as Array<{ path: string; message: string }>;
    expect(details.map((d) => d.path).sort()).toEqual(["customer_id", "items.1.qty"]);
    expect(error.message).toContain("items.1.qty");
  });
});

describe("validationHook with zValidator", () => {
  test("query failures become a validation_error naming the parameter", async () => {
    const res = await app.request("/search?limit=500");
    expect(res.status).toBe(400);
    const error = await errorBody(res);
    expect(error.code).toBe("validation_error");
    expect(error.details).toEqual([{ path: "limit", message: expect.stringContaining("100") }]);
    expect((await app.request("/search?limit=5")).status).toBe(200);
  });
});
