// A body that cannot be read to its end (the client closed the connection mid-upload, a broken
// chunked encoding) is the client's 400, as the runtimes' own servers answer it, not a 500: each
// one counted in http_requests_total as a server error and logged at error level with a stack.
import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import * as z from "zod";
import { handleError } from "../errors/error-handler.ts";
import { jsonBody } from "../errors/validation.ts";
import { bodySizeLimit } from "./body-size-limit.ts";

function app() {
  const app = new Hono();
  app.onError(handleError);
  app.post("/items", bodySizeLimit(64), jsonBody(z.object({ a: z.number() })), (c) =>
    c.json(c.req.valid("json")),
  );
  app.post("/boom", bodySizeLimit(64), jsonBody(z.object({ a: z.number() })), () => {
    throw new Error("a handler's own failure");
  });
  return app;
}

/** A POST whose body sends `first` and then fails, as a connection closed mid-upload does. */
function cutOff(path: string, first: string, headers: Record<string, string> = {}): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
    pull(controller) {
      controller.error(new Error("aborted"));
    },
  });
  return new Request(`http://local${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
}

async function answer(res: Response) {
  return {
    status: res.status,
    body: (await res.json()) as { a?: number; error?: { code: string; message: string } },
  };
}

describe("a request body cut off mid-upload", () => {
  test("with a Content-Length: a 400 naming the body, not a 500", async () => {
    const res = await app().fetch(cutOff("/items", '{"a":', { "content-length": "40" }));
    const { status, body } = await answer(res);
    expect({ status, code: body.error?.code }).toEqual({ status: 400, code: "bad_request" });
    expect(JSON.stringify(body)).toContain('"path":"body"');
    // It read "Request the body could not be read to its end …" (seen from workerd and Deno).
    expect(body.error?.message).toBe(
      "Request body could not be read to its end (connection closed mid-upload?)",
    );
  });

  test("streamed (no Content-Length): a 400 naming the body, not a 500", async () => {
    const { status, body } = await answer(await app().fetch(cutOff("/items", '{"a":')));
    expect({ status, code: body.error?.code }).toEqual({ status: 400, code: "bad_request" });
  });

  test("unchanged: whole bodies, 413 over the limit, and a handler's own failure is a 500", async () => {
    const post = (path: string, text: string) =>
      app().request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
    expect(await answer(await post("/items", '{"a":1}'))).toEqual({ status: 200, body: { a: 1 } });
    const big = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"a":1,"b":"${"x".repeat(100)}"}`));
        controller.close();
      },
    });
    const streamed = new Request("http://local/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
      duplex: "half",
    } as RequestInit);
    expect((await app().fetch(streamed)).status).toBe(413);
    expect((await post("/boom", '{"a":1}')).status).toBe(500);
  });
});

/** A POST whose body sends `first` and then nothing more, as a stalled client does. */
function stalled(path: string, first: string, headers: Record<string, string> = {}): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
  });
  return new Request(`http://local${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
    duplex: "half",
  } as RequestInit);
}

describe("a request body that stops arriving (BODY_READ_TIMEOUT_MS)", () => {
  function slowApp() {
    const app = new Hono();
    app.onError(handleError);
    app.post("/items", bodySizeLimit(64, "", 200), jsonBody(z.object({ a: z.number() })), (c) =>
      c.json(c.req.valid("json")),
    );
    return app;
  }

  for (const [name, headers] of [
    ["with a Content-Length", { "content-length": "40" }],
    ["streamed (no Content-Length)", {}],
  ] as const) {
    test(`${name}: a 408 request_timeout naming the body, after about the limit`, async () => {
      const started = performance.now();
      const res = await slowApp().fetch(stalled("/items", '{"a":', headers));
      const elapsed = performance.now() - started;
      const body = (await res.json()) as { error?: { code: string; details?: unknown } };
      expect({ status: res.status, code: body.error?.code }).toEqual({
        status: 408,
        code: "request_timeout",
      });
      expect(JSON.stringify(body)).toContain('"path":"body"');
      expect(elapsed).toBeGreaterThanOrEqual(150);
      expect(elapsed).toBeLessThan(2000);
    });
  }

  test("a body that arrives in time is answered as before", async () => {
    const res = await slowApp().request("/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(res.status).toBe(200);
  });
});

test("a streamed body completing after its 408 does not run the handler", async () => {
  let ran = 0;
  const app = new Hono();
  app.onError(handleError);
  app.post("/items", bodySizeLimit(64, "", 200), (c) => {
    ran++;
    return c.json({ ok: true });
  });
  let sending: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      sending = controller;
      controller.enqueue(new TextEncoder().encode('{"a":'));
    },
  });
  const res = await app.fetch(
    new Request("http://local/items", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit),
  );
  expect(res.status).toBe(408);
  // The client goes on and finishes its body: the answer is out, the handler must not run.
  sending?.enqueue(new TextEncoder().encode("1}"));
  sending?.close();
  await Bun.sleep(100);
  expect(ran).toBe(0);
});
