// A freshly started decision service (Bun entry, embedded store) opens its database at start, in
// the background, before any request needs it (it takes the store's lock), and /ready is then 200
// (forecast away: degraded, still ready). It opened it only when first asked, so the first /ready
// was a 503 "database not answering yet (opening?)", and an orchestrator probing every 10-30 s
// held traffic back for a probe period.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readLock } from "@pp/shared/db/embedded/server-lock.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";

const dataDir = mkdtempSync(join(tmpdir(), "pp-ready-at-start-"));
let child: ReturnType<typeof Bun.spawn> | undefined;
afterAll(() => {
  child?.kill();
  rmSync(dataDir, { recursive: true, force: true });
});

test("the first /ready, a few seconds after start, is ready (the database opened at start)", async () => {
  const [port, forecastPort] = [await freePort(), await freePort()];
  child = Bun.spawn([process.execPath, resolve(import.meta.dirname, "bun.ts")], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      FORECAST_URL: `http://127.0.0.1:${forecastPort}`,
      API_KEYS: "ready-at-start-key",
      LOG_LEVEL: "warn",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(100);
  }
  // The database is opened without any request needing it: the process takes the embedded
  // store's lock (nothing else uses DATA_DIR). A fixed 8 s wait was too short under CI's load.
  const deadline = performance.now() + 60_000;
  while (readLock(dataDir)?.pid !== child.pid) {
    if (performance.now() > deadline) throw new Error("the database was not opened at start");
    await Bun.sleep(100);
  }
  // Then /ready answers 200 once migrations are done, asked as an orchestrator would.
  let last = { status: 0, body: "" };
  while (performance.now() < deadline) {
    const res = await fetch(`${base}/ready`);
    last = { status: res.status, body: await res.text() };
    if (last.status === 200) break;
    await Bun.sleep(1000);
  }
  expect(last).toEqual({
    status: 200,
    body: expect.stringContaining('"decision_log","status":"ok"'),
  });
}, 90_000);
