// The lite forecast Worker (plain workerd) started while its model source is unreachable: the
// first load fails, and Workers run no timer, so the Bun holder's 1 s retry never fires there.
// The isolate answered 503 until the next poll (MODEL_POLL_INTERVAL_MS, 30 s by default) however
// soon the source came back. A request now tries again after 1 s, doubling.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { bundleWorker, type WorkerBundle } from "../../../../scripts/workerd/index.ts";
import { manyCustomersBundle } from "../testing/many-customers-bundle.ts";
import { startWorkerd, stopProcess, workerConfigWith } from "../testing/workerd-harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-worker-first-load-"));
let build: WorkerBundle;
let files: Map<string, Uint8Array>;

const forecast = (url: string) =>
  fetch(`${url}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id: "cust-7" }] }),
    signal: AbortSignal.timeout(10_000),
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
