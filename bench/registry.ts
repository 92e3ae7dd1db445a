// Registry figures on both drivers: registering a version with CDNOW-sized customer features
// (23,570 rows), bulk feature lookups, promotions and decision-log appends. Prints medians.
// Usage: bun bench/registry.ts [pglite|postgres ...]   (Postgres: DATABASE_URL_TEST or local default)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "../shared/artifacts/file-artifact-store.ts";
import type { DatabaseDriver } from "../shared/db/database.ts";
import { DecisionLogRepository } from "../shared/registry/decision-log.ts";
import { ModelRegistry } from "../shared/registry/model-registry.ts";
import { openTestDatabase } from "../shared/testing/test-databases.ts";
import { exitOnHelp } from "./bench-help.ts";
import { benchResults } from "./bench-results.ts";

exitOnHelp(import.meta.path);

const results = benchResults("registry");

const CUSTOMERS = 23_570;
const FEATURES = 12;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function bench(driver: DatabaseDriver) {
  const t = await openTestDatabase(driver);
  const storeDir = mkdtempSync(join(tmpdir(), "pp-bench-store-"));
  try {
    const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(storeDir));
    const features = Array.from({ length: CUSTOMERS }, (_, i) => ({
      customerId: String(i + 1).padStart(5, "0"),
      summary: { x: i % 9, tx: (i % 37) / 3, T: 39, monetary: 20 + (i % 50) },
      features: Array.from({ length: FEATURES }, (_, j) => (i * (j + 1)) / 7),
    }));
    const onnx = new Uint8Array(200_000).map((_, i) => i * 31);
    const register: number[] = [];
    for (let r = 0; r < 3; r++) {
      register.push(
        await time(() =>
          registry.registerVersion("bench", {
            artifacts: [{ name: "gbdt.onnx", bytes: onnx }],
            params: {},
            metrics: { mae: 0.6 },
            dataWindow: { calibrationEnd: "1997-09-30", holdoutEnd: "1998-06-30" },
            timeUnit: "week",
            trainedAt: new Date(),
            customerFeatures: features,
          }),
        ),
      );
    }
    const version = await registry.getVersion("bench", 1);
    if (!version) throw new Error("version 1 missing");
    const lookup: number[] = [];
    const lookup1: number[] = [];
    for (let r = 0; r < 20; r++) {
      const ids = Array.from(
        { length: 1000 },
        (_, i) => features[(r * 997 + i * 13) % CUSTOMERS]?.customerId ?? "",
      );
      lookup.push(await time(() => registry.getCustomerFeatures(version.id, ids)));
      lookup1.push(await time(() => registry.getCustomerFeatures(version.id, ids.slice(0, 1))));
    }
    const promote: number[] = [];
    for (let r = 0; r < 20; r++)
      promote.push(await time(() => registry.promote("bench", (r % 3) + 1)));
    const load: number[] = [];
    for (let r = 0; r < 20; r++)
      load.push(await time(() => registry.loadArtifact(version, "gbdt.onnx")));
    const log = new DecisionLogRepository(t.handle.db);
    const decisions = Array.from({ length: 10_000 }, (_, i) => ({
      decisionId: crypto.randomUUID(),
      customerId: String(i % 2000),
      inputs: { budget: 100 },
      chosenAction: "coupon",
      scores: { coupon: 1.5 },
      policyName: "p",
      policyVersion: 1,
      modelName: "bench",
      modelVersion: 1,
    }));
    const append = await time(() => log.insertMany(decisions));
    console.log(`\n${driver}`);
    results.add(
      `${driver}: register version + ${CUSTOMERS} customer features`,
      median(register),
      "ms",
    );
    results.add(`${driver}: getCustomerFeatures, 1000 ids`, median(lookup), "ms");
    results.add(`${driver}: decision log insertMany 10,000 rows`, append, "ms");
    console.log(
      `  register version + ${CUSTOMERS} customer features: ${median(register).toFixed(0)} ms (median of 3)`,
    );
    console.log(
      `  getCustomerFeatures, 1000 ids: ${median(lookup).toFixed(1)} ms; 1 id: ${median(lookup1).toFixed(2)} ms`,
    );
    console.log(
      `  promote: ${median(promote).toFixed(2)} ms; loadArtifact (200 kB, sha256 checked): ${median(load).toFixed(2)} ms`,
    );
    console.log(
      `  decision log insertMany 10,000 rows: ${append.toFixed(0)} ms (${Math.round(10_000 / (append / 1000))} rows/s)`,
    );
  } finally {
    await t.cleanup();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const drivers = (named.length ? named : ["pglite", "postgres"]) as DatabaseDriver[];
for (const driver of drivers) await bench(driver);
