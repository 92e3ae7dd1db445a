// The lite forecast Worker (plain workerd) when the request that began the model load hangs up
// while the model's files are read: on Workers a promise belongs to the request that made it, and
// later requests await that load. ctx.waitUntil(loading) keeps it settling; without it, 48 of 48
// answered 500 ("This promise was created by a request that has since ended"). A fresh isolate
// per round.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleWorker, type WorkerBundle } from "../../../../scripts/workerd/index.ts";
import { manyCustomersBundle } from "../testing/many-customers-bundle.ts";
import { startWorkerd, stopProcess, workerConfigWith } from "../testing/workerd-harness.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-worker-aborted-load-"));
let build: WorkerBundle;
let files: Map<string, Uint8Array>;
let server: ReturnType<typeof Bun.serve>;
/** Called at each model file asked for: the test hangs up when the load is under way. */
let onFileRead: (count: number) => void = () => {};
let fileReads = 0;

/** A fresh workerd (a fresh isolate) loading the model over HTTP; resolves once it listens. */
const serve = () =>
  startWorkerd(
    build,
    "aborted",
    {
      MODEL_SOURCE: `url:http://127.0.0.1:${server.port}/`,
      MODEL_POLL_INTERVAL_MS: "0",
      GBDT_ENGINE: "typescript",
      LOG_LEVEL: "error",
    },
    { keepOutput: true },
  );

const forecast = (url: string, signal: AbortSignal) =>
  fetch(`${url}/forecast`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ horizon: { value: 13, unit: "week" }, customers: [{ id: "cust-7" }] }),
    signal,
  });

beforeAll(async () => {
  files = await manyCustomersBundle(200);
  // Each file a little late: the model loads for a few hundred ms, long enough to hang up on.
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      onFileRead(++fileReads);
      await Bun.sleep(60);
      const bytes = files.get(new URL(req.url).pathname.slice(1));
      return bytes
        ? new Response(new Blob([bytes as BlobPart]))
        : new Response("", { status: 404 });
    },
  });
  build = await bundleWorker("forecast", join(scratch, "out"), {
    config: workerConfigWith(scratch, "wrangler.lite.toml", files),
  });
}, 180_000);

afterAll(() => {
  server?.stop(true);
  rmSync(scratch, { recursive: true, force: true });
});

test("a first /forecast hung up on while the model loads leaves later requests answered", async () => {
  const statuses: number[] = [];
  const errors: string[] = [];
  // Four rounds, each hang-up point (after the 1st to 4th file) once: without the waitUntil every
  // answer was 500 from the first round on (48 of 48 in 12 rounds; 16 of 16 in these 4).
  for (let round = 0; round < 4; round++) {
    const { url, child, output } = await serve();
    try {
      // The first request begins the load; a second joins it; the first hangs up while the
      // model's files are being read (after the 1st to 4th).
      const hangUp = new AbortController();
      const readsBefore = fileReads;
      const started = new Promise<void>((begun) => {
        onFileRead = (count) => {
          if (count === readsBefore + 1) begun();
          if (count === readsBefore + 1 + (round % 4)) hangUp.abort();
        };
      });
      const first = forecast(url, hangUp.signal).catch(() => null);
      await started;
      const joined = forecast(url, AbortSignal.timeout(20_000));
      expect(await first).toBeNull();
      const later = await Promise.all([0, 1].map(() => forecast(url, AbortSignal.timeout(20_000))));
      statuses.push((await joined).status, ...later.map((r) => r.status));
      await Bun.sleep(200);
      const after = await forecast(url, AbortSignal.timeout(20_000));
      statuses.push(after.status);
    } finally {
      await stopProcess(child);
    }
    errors.push(...(output.join("").match(/[^\n]*(ended|canceled|cancelled)[^\n]*/g) ?? []));
  }
  expect({ statuses, errors: errors.slice(0, 2) }).toEqual({
    statuses: statuses.map(() => 200),
    errors: [],
  });
}, 300_000);
