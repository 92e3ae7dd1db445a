// The lite forecast Worker (plain workerd) when its model source is away at the first load.
// Refused: the load fails, and Workers run no timer, so the Bun holder's 1 s retry never fires
// there; the isolate answered 503 until the next poll (MODEL_POLL_INTERVAL_MS, 30 s by default)
// however soon the source came back. A request now tries again after 1 s, doubling.
// Stalled (accepts, never answers): every request waited for the load, as long as the source's
// own timeout; now a request waits at most FIRST_LOAD_WAIT_MS, then gets the 503.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { bundleWorker, type WorkerBundle } from "../../../../scripts/workerd/index.ts";
import { manyCustomersBundle } from "../testing/many-customers-bundle.ts";
import { startWorkerd, stopProcess, workerConfigWith } from "../testing/workerd-harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-worker-first-load-"));
let build: WorkerBundle;
let files: Map<string, Uint8Array>;

const forecast = (url: string, timeoutMs = 10_000) =>
  fetch(`${url}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id: "cust-7" }] }),
    signal: AbortSignal.timeout(timeoutMs),
  });

beforeAll(async () => {
  files = await manyCustomersBundle(50);
  build = await bundleWorker("forecast", join(scratch, "out"), {
    config: workerConfigWith(scratch, "wrangler.lite.toml", files),
  });
}, 180_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("a Worker whose source was away at its first load serves within seconds of its return", async () => {
  // Nothing listens on the model's port yet: the first load is refused (connection refused).
  const port = await freePort();
  const { url, child } = await startWorkerd(build, "first-load", {
    MODEL_SOURCE: `url:http://127.0.0.1:${port}/`,
    GBDT_ENGINE: "typescript",
    LOG_LEVEL: "error",
  });
  let server: ReturnType<typeof Bun.serve> | undefined;
  try {
    const away = await forecast(url);
    const awayBody = (await away.json()) as { error: { code: string; message: string } };
    expect({ status: away.status, code: awayBody.error.code }).toEqual({
      status: 503,
      code: "not_ready",
    });
    expect(awayBody.error.message).toContain(String(port));

    server = Bun.serve({
      port,
      hostname: "127.0.0.1",
      fetch: (req) => {
        const bytes = files.get(new URL(req.url).pathname.slice(1));
        return new Response(bytes ? new Blob([bytes as BlobPart]) : "", {
          status: bytes ? 200 : 404,
        });
      },
    });
    const back = performance.now();
    const statuses: number[] = [];
    // The default poll is 30 s; the retry is due 1 s after the failure (then 2 s, 4 s, …).
    while (performance.now() - back < 8_000) {
      const res = await forecast(url);
      statuses.push(res.status);
      if (res.status === 200) break;
      await res.body?.cancel();
      await Bun.sleep(250);
    }
    // Before: 503 for the whole 8 s (32 of 32), served only at the 30 s poll.
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
  } finally {
    server?.stop(true);
    await stopProcess(child);
  }
}, 60_000);

test("a Worker whose source stalls at its first load answers 503 within the wait, not the source's timeout", async () => {
  // Accepts connections and never answers: the model's first file never arrives.
  const held: Socket[] = [];
  const stalled = createServer((socket) => void held.push(socket));
  await new Promise<void>((listening) => stalled.listen(0, "127.0.0.1", listening));
  const { port } = stalled.address() as { port: number };
  const { url, child } = await startWorkerd(build, "first-load-stall", {
    MODEL_SOURCE: `url:http://127.0.0.1:${port}/`,
    GBDT_ENGINE: "typescript",
    LOG_LEVEL: "error",
  });
  try {
    const started = performance.now();
    // /ready waits for the load as /forecast does (a cold isolate says ready once it is).
    const [first, second, ready] = await Promise.all([
      forecast(url, 40_000),
      forecast(url, 40_000),
      fetch(`${url}/ready`, { signal: AbortSignal.timeout(40_000) }),
    ]);
    const waited = performance.now() - started;
    const body = (await first.json()) as { error: { code: string } };
    await second.body?.cancel();
    // Before: each waited for the source's own 30 s timeout (then 503); now 10 s.
    expect({ status: first.status, second: second.status, code: body.error.code }).toEqual({
      status: 503,
      second: 503,
      code: "not_ready",
    });
    expect(first.headers.get("retry-after")).not.toBeNull();
    expect(waited).toBeLessThan(20_000);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain(`loading model from url:http://127.0.0.1:${port}/`);
  } finally {
    for (const socket of held) socket.destroy();
    stalled.close();
    await stopProcess(child);
  }
}, 60_000);
