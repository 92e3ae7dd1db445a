// A registering process killed with SIGKILL while its transaction is open leaves no version and
// no customer features behind, and the next registration (and promotion) works.

import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { createDatabase } from "../db/client.ts";
import { queryRows } from "../db/database.ts";
import { oneRow } from "../db/one-row.ts";
import { openTestDatabase, testDrivers } from "../testing/test-databases.ts";
import { ModelRegistry } from "./model-registry.ts";

// Real databases on a shared 2-core machine: Bun's 5 s default is too tight for PGlite.
setDefaultTimeout(60_000);

const CHILD = fileURLToPath(new URL("../testing/registration-crash-child.ts", import.meta.url));
const storeDir = mkdtempSync(join(tmpdir(), "pp-crash-store-"));
afterAll(() => rmSync(storeDir, { recursive: true, force: true }));

/** Runs the child until it says READY (transaction open), then kills it with SIGKILL. */
async function killMidRegistration(env: Record<string, string>, model: string): Promise<void> {
  const child = spawn(process.execPath, [CHILD, storeDir, model], {
    env: { ...process.env, DATABASE_URL: "", DATA_DIR: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ?? code)),
  );
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("READY") && resolve(true));
    child.on("exit", () => resolve(false));
  });
  if (!ready) throw new Error(`child exited before READY: ${stderr}`);
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
}

for (const driver of testDrivers()) {
  describe(`kill -9 during registration on ${driver}`, () => {
    test("no half-registered version survives, and registration works afterwards", async () => {
      const t = await openTestDatabase(driver);
      const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
      const base = {
        artifacts: [{ name: "model.onnx", bytes: new Uint8Array([1]) }],
        params: {},
        metrics: {},
        dataWindow: { calibrationEnd: "1997-09-30" },
        timeUnit: "week",
        trainedAt: new Date(),
      };
      await registry.registerVersion("crash-kill", { ...base, promote: true });
      let db = t.handle.db;
      let reopened: Awaited<ReturnType<typeof createDatabase>> | null = null;
      try {
        if (driver === "postgres") {
          await killMidRegistration({ DATABASE_URL: t.options.databaseUrl ?? "" }, "crash-kill");
        } else {
          // Close this process's handle so that the child hosts the embedded server itself and
          // dies with it (kill -9 of the host); reopening takes the stale lock over and recovers.
          // (A killed client of a running server: artifact-gc.test.ts.)
          await t.handle.close();
          await killMidRegistration({ DATA_DIR: t.options.dataDir ?? "" }, "crash-kill");
          reopened = await createDatabase({ dataDir: t.options.dataDir });
          db = reopened.db;
        }
        const after = new ModelRegistry(db, new FileArtifactStore(storeDir));
        const versions = await after.listVersions("crash-kill");
        expect(versions.map((v) => [v.version, v.stage])).toEqual([[1, "production"]]);
        const { n } = oneRow(
          await queryRows<{ n: number }>(db, sql`select count(*)::int as n from customer_features`),
          "count",
        );
        expect(n).toBe(0);
        // The killed transaction's row lock is gone: registering and promoting proceed.
        const next = await after.registerVersion("crash-kill", {
          ...base,
          customerFeatures: [{ customerId: "c1", summary: {}, features: [1] }],
        });
        expect(next.version).toBe(2);
        await after.promote("crash-kill", 2);
        expect((await after.getProductionVersion("crash-kill"))?.version).toBe(2);
      } finally {
        await reopened?.close();
        if (driver === "pglite") {
          rmSync(t.options.dataDir ?? "", { recursive: true, force: true });
        } else {
          await t.cleanup();
        }
      }
    }, 90_000);
  });
}
