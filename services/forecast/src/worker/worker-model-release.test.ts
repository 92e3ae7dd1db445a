// The full forecast Worker (onnxruntime-web) on plain workerd, following a model source over HTTP
// (as from R2) while 20 new versions are published: each replaced model must be released (its ORT
// sessions and WASM memory freed) once its release delay has passed, counted by
// model_releases_total. workerd runs no timer of a request that has ended, so a release left to a
// setTimeout made in the swapping request's waitUntil never ran: 0 of 20.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorker, type WorkerBundle } from "../../../../scripts/workerd/index.ts";
import { encodeBundle } from "../model/exported-bundle.ts";
import { trainDemoBundle } from "../testing/demo-bundle.ts";
import { startWorkerd, workerConfigWith } from "../testing/workerd-harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-worker-model-release-"));
const SWAPS = 20;
/** The release delay (30 s by default; the test has no need to wait that out) and a margin. */
const RELEASE_DELAY_MS = 1000;
const PAST_RELEASE_DELAY_MS = RELEASE_DELAY_MS + 1500;
let versions: Map<string, Uint8Array>[] = [];
let published = 0;
let build: WorkerBundle;
let server: ReturnType<typeof Bun.serve>;
let child: ChildProcess | undefined;

async function serve(): Promise<string> {
  const workerd = await startWorkerd(build, "release", {
    MODEL_SOURCE: `url:http://127.0.0.1:${server.port}/`,
    MODEL_POLL_INTERVAL_MS: "20",
    MODEL_RELEASE_DELAY_MS: String(RELEASE_DELAY_MS),
    LOG_LEVEL: "error",
  });
  child = workerd.child;
  return workerd.url;
}

const forecast = (url: string) =>
  fetch(`${url}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id: "cust-7" }] }),
    signal: AbortSignal.timeout(30_000),
  });

/** A metric's value (first sample whose line starts with `prefix`), or null. */
async function metric(url: string, prefix: string): Promise<string | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line ? line.slice(prefix.length).trim() : null;
}

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 300, seed: 42 });
  for (let v = 1; v <= SWAPS + 1; v++) {
    versions.push(
      await encodeBundle({ ...demo.raw, identity: { ...demo.raw.identity, version: v } }),
    );
  }
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) => {
      const bytes = versions[published]?.get(new URL(req.url).pathname.slice(1));
      return bytes
        ? new Response(new Blob([bytes as BlobPart]))
        : new Response("", { status: 404 });
    },
  });
  build = await bundleWorker("forecast", join(scratch, "out"), {
    config: workerConfigWith(scratch, "wrangler.toml", versions[0] ?? new Map()),
  });
}, 180_000);

afterAll(() => {
  child?.kill("SIGKILL");
  server?.stop(true);
  rmSync(scratch, { recursive: true, force: true });
  versions = [];
});

test("20 versions published: each replaced model released after the delay", async () => {
  const url = await serve();
  const statuses: number[] = [(await forecast(url)).status];
  for (let v = 2; v <= SWAPS + 1; v++) {
    published = v - 1;
    // Requests keep coming; one past the poll interval refreshes inside its waitUntil.
    const want = `version="${v}"}`;
    for (let i = 0; i < 200; i++) {
      await Bun.sleep(25);
      statuses.push((await forecast(url)).status);
      if ((await metric(url, "model_version_info{"))?.includes(want)) break;
    }
  }
  expect(await metric(url, "model_version_info{")).toContain(`version="${SWAPS + 1}"} 1`);
  expect(await metric(url, "model_loads_total")).toBe(String(SWAPS + 1));
  await Bun.sleep(PAST_RELEASE_DELAY_MS);
  statuses.push((await forecast(url)).status);
  await Bun.sleep(500);
  statuses.push((await forecast(url)).status);
  expect(await metric(url, "model_releases_total")).toBe(String(SWAPS));
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
}, 120_000);
