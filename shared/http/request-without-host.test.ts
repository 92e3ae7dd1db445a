import { afterAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { Hono } from "hono";
import { withHostlessRequests } from "./request-without-host.ts";

const app = new Hono();
app.get("/health", (c) => c.json({ status: "ok" }));
app.post("/echo", async (c) => c.text(await c.req.text()));
const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: withHostlessRequests(app.fetch),
});
afterAll(() => server.stop(true));

/** The raw request written to the server; its answer's status line and body. */
function raw(request: string): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    let data = "";
    const socket = connect(server.port as number, "127.0.0.1", () => socket.write(request));
    socket.on("data", (chunk) => {
      data += chunk;
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      resolve({ status: head.split("\r\n")[0] ?? "", body });
    });
  });
}

test("a request naming no host (HTTP/1.0 without Host, an empty Host) reaches its route, body and all", async () => {
  for (const request of [
    "GET /health HTTP/1.0\r\n\r\n",
    "GET /health HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n",
  ]) {
    const answer = await raw(request);
    expect(answer.status).toMatch(/^HTTP\/1\.[01] 200/);
    expect(answer.body).toBe('{"status":"ok"}');
  }
  const post = await raw("POST /echo HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
  expect(post.body).toBe("hello");
  // With a Host, as every other client sends it: unchanged.
  const usual = await fetch(`http://127.0.0.1:${server.port}/health`);
  expect(await usual.json()).toEqual({ status: "ok" });
});
