// The embedded store's cost: the same registry queries on PGlite opened directly in-process (how
// it was before one server shared it), through the wire-protocol server from the hosting process
// and from another process (how the services and CLIs reach it now), and on PostgreSQL.
// Usage: bun bench/embedded-store.ts [--json]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { FileArtifactStore } from "../shared/artifacts/file-artifact-store.ts";
import { createDatabase } from "../shared/db/client.ts";
import type { Database } from "../shared/db/database.ts";
import * as schema from "../shared/db/schema.ts";
import { ModelRegistry } from "../shared/registry/model-registry.ts";
import { runBun } from "../shared/testing/processes.ts";
import { openTestDatabase } from "../shared/testing/test-databases.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";
import { CUSTOMERS, timeQueries } from "./embedded-store-queries.ts";

exitOnHelp(import.meta.path);

const results = benchResults("embedded-store");

async function registerBench(db: Database, storeDir: string) {
  await new ModelRegistry(db, new FileArtifactStore(storeDir)).registerVersion("bench", {
    artifacts: [{ name: "gbdt.onnx", bytes: new Uint8Array(1000) }],
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: "1997-09-30" },
    timeUnit: "week",
    trainedAt: new Date(),
    promote: true,
    customerFeatures: Array.from({ length: CUSTOMERS }, (_, i) => ({
      customerId: String(i + 1).padStart(5, "0"),
      summary: { x: i % 9, T: 39 },
      features: Array.from({ length: 24 }, (_, j) => (i * (j + 1)) / 7),
    })),
  });
}

const rows: Array<[string, { production: number; features: number }]> = [];
const scratch = mkdtempSync(join(tmpdir(), "pp-bench-embedded-"));
try {
  const dataDir = join(scratch, "data");
  const hosted = await createDatabase({ dataDir, maxConnections: 1 });
  await registerBench(hosted.db, join(scratch, "store"));
  rows.push(["embedded, wire, hosting process", await timeQueries(hosted.db)]);
  // Asynchronous: this process serves the database the child queries.
  const child = await runBun(
    join(import.meta.dirname, "embedded-store-queries.ts"),
    [dataDir],
    {},
    { timeoutMs: 300_000 },
  );
  if (child.status !== 0) throw new Error(`client process failed: ${child.stderr}`);
  rows.push(["embedded, wire, another process", JSON.parse(child.stdout)]);
  await hosted.close();

  const pg = await PGlite.create(join(dataDir, "pglite"));
  rows.push([
    "PGlite direct, in-process (before)",
    await timeQueries(drizzle(pg, { schema }) as unknown as Database),
  ]);
  await pg.close();

  const postgres = await openTestDatabase("postgres");
  try {
    await registerBench(postgres.handle.db, join(scratch, "store2"));
    rows.push(["PostgreSQL 15, postgres.js", await timeQueries(postgres.handle.db)]);
  } finally {
    await postgres.cleanup();
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(
  `\nregistry queries, median (${CUSTOMERS} customers stored)\n` +
    `${"".padEnd(38)}getProductionVersion  getCustomerFeatures(1000 ids)`,
);
for (const [name, t] of rows) {
  console.log(
    `${name.padEnd(38)}${`${t.production.toFixed(3)} ms`.padEnd(22)}${t.features.toFixed(2)} ms`,
  );
  results.add(`${name}: getProductionVersion`, t.production, "ms");
  results.add(`${name}: getCustomerFeatures, 1000 ids`, t.features, "ms");
}
