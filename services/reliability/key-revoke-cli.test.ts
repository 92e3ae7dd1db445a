// `npm run keys -- revoke ID` while a decision service serves the key, with real processes, on the
// embedded store (the service hosts it; the CLI is a client of it) and on PostgreSQL: decisions
// are sent with the key without pause, the CLI revokes it, and no decision sent more than a
// moment after the CLI returned is let in. Before, on the embedded store (no LISTEN) the key ring
// kept the revoked key until its 30 s refresh: every decision of the 3 s watched after the revoke
// was a 200.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runBun } from "@pp/shared/testing/processes.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import {
  decisionReadyOnFreePort,
  decisionStatus,
  forecastStubAroundTests,
  killHard,
} from "../testing/decision-traffic.ts";
import type { ServiceProcess } from "../testing/service-processes.ts";

const KEYS_CLI = resolve(import.meta.dirname, "../decision/src/cli/keys.ts");

const forecast = forecastStubAroundTests();

/** Decisions from 4 loops until stopped: each one's start (ms since the epoch) and status. */
function load(base: string, key: string) {
  let running = true;
  const seen: { at: number; status: number }[] = [];
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      const at = Date.now();
      seen.push({ at, status: await decisionStatus(base, key).catch(() => 0) });
    }
  });
  return {
    seen,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Creates a key with the CLI, revokes it with the CLI under load; what the service answered. */
async function revokeUnderLoad(service: ServiceProcess, cliEnv: Record<string, string>) {
  const made = await runBun(KEYS_CLI, ["create", "revoked-by-cli"], cliEnv);
  expect(made.status).toBe(0);
  const key = made.stdout.trim();
  const id = /key #(\d+)/.exec(made.stderr)?.[1] as string;
  // A key made elsewhere is read on a miss (at most once a second).
  const deadline = Date.now() + 5000;
  while ((await decisionStatus(service.base, key)) !== 200) {
    if (Date.now() > deadline) throw new Error(`key never accepted: ${service.output.slice(-3)}`);
    await Bun.sleep(100);
  }
  const traffic = load(service.base, key);
  await Bun.sleep(1500);
  const revoked = await runBun(KEYS_CLI, ["revoke", id], cliEnv);
  const returnedAt = Date.now();
  expect(revoked.status).toBe(0);
  await Bun.sleep(3000);
  await traffic.stop();
  const after = traffic.seen.filter((s) => s.at >= returnedAt);
  const passed = after.filter((s) => s.status === 200);
  const lastPassMs = passed.length ? Math.max(...passed.map((s) => s.at)) - returnedAt : null;
  console.log(
    `revoke-by-cli: ${traffic.seen.filter((s) => s.at < returnedAt && s.status === 200).length} passed before the CLI returned; after it: ${after.length} sent, ${passed.length} passed, last ${lastPassMs} ms after`,
  );
  return { after, passed, lastPassMs };
}

describe("a key revoked with the CLI stops working within about a second", () => {
  test("embedded store (the service hosts it, the CLI connects)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "pp-revoke-cli-"));
    const env = { DECISION_DATA_DIR: dataDir, FORECAST_URL: forecast.url };
    const { service } = await decisionReadyOnFreePort(env);
    try {
      const { after, lastPassMs } = await revokeUnderLoad(service, { DECISION_DATA_DIR: dataDir });
      expect(after.length).toBeGreaterThan(10);
      expect(lastPassMs ?? 0).toBeLessThan(1500);
      expect(after.at(-1)?.status).toBe(401);
    } finally {
      await killHard(service);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  test("PostgreSQL", async () => {
    const t: TestDatabase = await openTestDatabase("postgres");
    const url = t.options.databaseUrl as string;
    const { service } = await decisionReadyOnFreePort({
      DATABASE_URL: url,
      FORECAST_URL: forecast.url,
    });
    try {
      const { after, lastPassMs } = await revokeUnderLoad(service, { DATABASE_URL: url });
      expect(after.length).toBeGreaterThan(10);
      expect(lastPassMs ?? 0).toBeLessThan(1500);
      expect(after.at(-1)?.status).toBe(401);
    } finally {
      await killHard(service);
      await t.cleanup();
    }
  }, 120_000);
});
