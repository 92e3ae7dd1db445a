// The lite forecast Worker under workerd with a model too big for a Workers isolate (300,000
// stored customers compiled in: 41 MiB of data modules, ~130 MiB in the isolate once loaded).
// workerd has no 128 MB limit, so it served it here and Cloudflare would kill the isolate at the
// first request (error 1102); the Worker now declines to load it, and /forecast and /ready answer
// 503 naming the limit and what to do. A 100,000-customer bundle fetched over HTTP still loads.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bundleWorker,
  foreignZodLocales,
  type WorkerBundle,
} from "../../../../scripts/workerd/index.ts";
import { manyCustomersBundle } from "../testing/many-customers-bundle.ts";
import { startWorkerd, stopProcess, workerConfigWith } from "../testing/workerd-harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-worker-memory-"));
const children: ChildProcess[] = [];
let build: WorkerBundle;
let files100k: Map<string, Uint8Array>;

/** workerd serving the build with these bindings; resolves once it listens. */
async function serve(bindings: Record<string, string>): Promise<string> {
  const workerd = await startWorkerd(build, "memory", {
    MODEL_POLL_INTERVAL_MS: "0",
    LOG_LEVEL: "error",
    ...bindings,
  });
  children.push(workerd.child);
  return workerd.url;
}

const forecastOf = (url: string, id: string) =>
  fetch(`${url}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id }] }),
    signal: AbortSignal.timeout(60_000),
  });

beforeAll(async () => {
  build = await bundleWorker("forecast", join(scratch, "out"), {
    config: workerConfigWith(scratch, "wrangler.lite.toml", await manyCustomersBundle(300_000)),
  });
  files100k = await manyCustomersBundle(100_000);
}, 180_000);

afterAll(async () => {
  for (const child of children) await stopProcess(child);
  rmSync(scratch, { recursive: true, force: true });
});

test("the bundle carries zod's English messages only", () => {
  expect(foreignZodLocales(build)).toEqual([]);
});

describe("a forecast Worker and the 128 MB of its isolate", () => {
  test("300,000 customers compiled in: 503 naming the limit, not a model served", async () => {
    const url = await serve({ MODEL_SOURCE: "bundled", GBDT_ENGINE: "typescript" });
    const res = await forecastOf(url, "cust-7");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect({ status: res.status, code: body.error?.code }).toEqual({
      status: 503,
      code: "not_ready",
    });
    expect(body.error.message).toMatch(
      /^No model is loaded: bundled: not loaded: its 300,000 stored customers .* over the [0-9.]+ MiB a 128 MB Workers isolate has for a model .*WORKER_MEMORY_LIMIT_MB=128.*--without-customers/,
    );
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain("300,000 stored customers");
  }, 120_000);

  test("100,000 customers fetched over HTTP (as from R2): loaded and served", async () => {
    const files = Bun.serve({
      port: 0,
      fetch: (req) => {
        const bytes = files100k.get(new URL(req.url).pathname.slice(1));
        return bytes
          ? new Response(new Blob([bytes as BlobPart]))
          : new Response("", { status: 404 });
      },
    });
    try {
      const url = await serve({
        MODEL_SOURCE: `url:http://127.0.0.1:${files.port}/`,
        GBDT_ENGINE: "typescript",
      });
      const res = await forecastOf(url, "cust-99999");
      const body = (await res.json()) as {
        forecasts: Array<{ id: string; basis?: string; models?: { bgnbd?: unknown } }>;
      };
      expect(res.status).toBe(200);
      expect(body.forecasts[0]?.models?.bgnbd).toBeDefined();
    } finally {
      files.stop(true);
    }
  }, 120_000);
});
