// readProductionVersion on both drivers: the same answers as the query written out, across
// promotions and unknown names, from a statement each connection prepares once.

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { FileArtifactStore } from "../artifacts/file-artifact-store.ts";
import { createDatabase } from "../db/client.ts";
import { type Database, queryRows } from "../db/database.ts";
import { models, modelVersions } from "../db/schema.ts";
import { openTestDatabase, type TestDatabase, testDrivers } from "../testing/test-databases.ts";
import {
  ModelRegistry,
  type RegisterVersionInput,
  readProductionVersion,
} from "./model-registry.ts";

// Real databases on a shared 2-core machine: Bun's 5 s default is too tight for PGlite.
setDefaultTimeout(60_000);

function input(promote: boolean): RegisterVersionInput {
  return {
    artifacts: [{ name: "gbdt.onnx", bytes: new Uint8Array([1, 2, 3]) }],
    params: { r: 0.24 },
    metrics: { mae: 0.61 },
    dataWindow: { calibrationEnd: "1997-09-30" },
    timeUnit: "week",
    trainedAt: new Date("2026-11-28T12:00:00Z"),
    promote,
  };
}

/** The query as written before it was prepared: what readProductionVersion must answer. */
async function writtenOut(db: Database, name: string) {
  const [row] = await db
    .select({ version: modelVersions, modelName: models.name })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(models.name, name), eq(modelVersions.stage, "production")));
  return row ? { ...row.version, modelName: row.modelName } : null;
}

for (const driver of testDrivers()) {
  describe(`readProductionVersion on ${driver}`, () => {
    let t: TestDatabase;
    let storeDir: string;
    let registry: ModelRegistry;
    beforeAll(async () => {
      t = await openTestDatabase(driver);
      storeDir = mkdtempSync(join(tmpdir(), "pp-production-version-"));
      registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
    }, 60_000);
    afterAll(async () => {
      await t?.cleanup();
      rmSync(storeDir, { recursive: true, force: true });
    }, 30_000);

    test("answers as the written-out query, across promotions and unknown names", async () => {
      const db = t.handle.db;
      expect(await readProductionVersion(db, "pv-a")).toBeNull();
      await registry.registerVersion("pv-a", input(true));
      await registry.registerVersion("pv-b", input(false));
      const first = await readProductionVersion(db, "pv-a");
      expect(first?.version).toBe(1);
      expect(first).toEqual(await writtenOut(db, "pv-a"));
      expect(await readProductionVersion(db, "pv-b")).toBeNull();
      await registry.registerVersion("pv-a", input(true));
      const second = await readProductionVersion(db, "pv-a");
      expect(second?.version).toBe(2);
      expect(second).toEqual(await writtenOut(db, "pv-a"));
      expect(await registry.getProductionVersion("pv-a")).toEqual(second);
    });

    test("is a statement the connection prepared, not parsed and planned each call", async () => {
      // One connection, so the statement and the look at pg_prepared_statements share a session.
      const one = await createDatabase({ ...t.options, maxConnections: 1 });
      try {
        await registry.registerVersion("pv-c", input(true));
        for (let i = 0; i < 3; i++)
          expect((await readProductionVersion(one.db, "pv-c"))?.version).toBe(1);
        const prepared = await queryRows<{ statement: string }>(
          one.db,
          sql`select statement from pg_prepared_statements
                where statement like '%"model_versions"."stage" = %'`,
        );
        // At least this connection's (the embedded store's one session also lists the pool's).
        expect(prepared.length).toBeGreaterThanOrEqual(1);
      } finally {
        await one.close();
      }
    });
  });
}
