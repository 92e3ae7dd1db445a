// Bun.serve closes a connection whose request has not been answered within its idleTimeout
// (default 10 s), however steadily the body is arriving, and sends nothing: a slow client (20 B/s
// for a 230-byte body) got "Empty reply from server". The entries raise it (IDLE_TIMEOUT_S), and
// the body-read deadline (BODY_READ_TIMEOUT_MS, below it) answers a body too slow with a JSON 408.
import { afterEach, expect, test } from "bun:test";
import net from "node:net";
import { Hono } from "hono";
import * as z from "zod";
import { parseEnv } from "../config/parse-env.ts";
import { handleError } from "../errors/error-handler.ts";
import { jsonBody } from "../errors/validation.ts";
import { bodySizeLimit } from "./body-size-limit.ts";
import {
  bunServeOptions,
  checkSlowClientConfig,
  slowClientConfigShape,
} from "./bun-serve-options.ts";

const schema = z.object(slowClientConfigShape).superRefine(checkSlowClientConfig);
let server: ReturnType<typeof Bun.serve> | undefined;
afterEach(() => server?.stop(true));

function serve(env: Record<string, string>) {
  const config = parseEnv(schema, env);
  const app = new Hono();
  app.onError(handleError);
  app.post(
    "/items",
    bodySizeLimit(1024, "", config.BODY_READ_TIMEOUT_MS),
    jsonBody(z.object({ a: z.string() })),
    (c) => c.json({ length: c.req.valid("json").a.length }),
  );
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    ...bunServeOptions(config),
    fetch: app.fetch,
  });
  return server.port as number;
}

/** POSTs `body` `bytesPerTick` bytes every `tickMs`; resolves with all the server sent. */
function trickle(port: number, body: string, bytesPerTick: number, tickMs: number) {
  return new Promise<{ reply: string; ms: number }>((resolve) => {
    const started = performance.now();
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.on("data", (d) => {
      reply += d;
    });
    socket.on("error", () => {});
    const head = `POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    socket.write(head);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= body.length) return clearInterval(timer);
      socket.write(body.slice(sent, sent + bytesPerTick));
      sent += bytesPerTick;
    }, tickMs);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ reply, ms: performance.now() - started });
    });
  });
}

test("defaults: a 230-byte body at 14 B/s (about 16 s) is answered 200, not dropped", async () => {
  const port = serve({});
  const body = JSON.stringify({ a: "x".repeat(222) });
  expect(body.length).toBe(230);
  const { reply } = await trickle(port, body, 2, 140);
  expect(reply).toStartWith("HTTP/1.1 200");
  expect(reply).toContain('{"length":222}');
}, 30_000);

test("a body slower than BODY_READ_TIMEOUT_MS gets a JSON 408 naming the body before Bun closes", async () => {
  // IDLE_TIMEOUT_S 10, not 3: Bun checks idleness every 4 s, and 3 s dropped it at 945 ms in CI.
  const port = serve({ IDLE_TIMEOUT_S: "10", BODY_READ_TIMEOUT_MS: "1000" });
  const { reply, ms } = await trickle(port, JSON.stringify({ a: "x".repeat(100) }), 1, 200);
  expect(reply).toStartWith("HTTP/1.1 408");
  expect(reply).toContain('"code":"request_timeout"');
  expect(reply).toContain('"path":"body"');
  expect(ms).toBeLessThan(5000);
}, 30_000);

test("the body deadline must end before Bun's idle timeout (else Bun drops the connection first)", () => {
  expect(() => parseEnv(schema, { IDLE_TIMEOUT_S: "10", BODY_READ_TIMEOUT_MS: "60000" })).toThrow(
    /BODY_READ_TIMEOUT_MS/,
  );
  expect(parseEnv(schema, {})).toEqual({ IDLE_TIMEOUT_S: 120, BODY_READ_TIMEOUT_MS: 60_000 });
  // 5 s before it, not 1: Bun may drop a connection up to 4 s before its idleTimeout.
  expect(() => parseEnv(schema, { IDLE_TIMEOUT_S: "10", BODY_READ_TIMEOUT_MS: "8000" })).toThrow(
    /8000 ms must end at least 5 s before/,
  );
  expect(parseEnv(schema, { IDLE_TIMEOUT_S: "10", BODY_READ_TIMEOUT_MS: "5000" })).toEqual({
    IDLE_TIMEOUT_S: 10,
    BODY_READ_TIMEOUT_MS: 5000,
  });
  // Only IDLE_TIMEOUT_S set: the message says the deadline in effect (the default), not just "unset".
  expect(() => parseEnv(schema, { IDLE_TIMEOUT_S: "5" })).toThrow(/60000 ms must end/);
});
