// A freshly started decision service (Bun entry, embedded store) opens its database at start, in
// the background: the first /ready, asked a few seconds after "listening", is 200 (forecast
// away: degraded, still ready). It opened it only when first asked, so that /ready was a 503
// "database not answering yet (opening?)", and an orchestrator probing every 10-30 s held
// traffic back for a probe period.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
  await Bun.sleep(8000);
  const res = await fetch(`${base}/ready`);
  const body = await res.text();
  expect({ status: res.status, body }).toEqual({
    status: 200,
    body: expect.stringContaining('"decision_log","status":"ok"'),
  });
}, 60_000);
