// The registry queries bench/embedded-store.ts times, on any Database: the production version
// (what the forecast service polls) and 1,000 customers' stored features. Run as a script it is
// the "other process" client of an embedded server: `bun bench/embedded-store-queries.ts DATA_DIR`.
import { FileArtifactStore } from "../shared/artifacts/file-artifact-store.ts";
import { createDatabase } from "../shared/db/client.ts";
import type { Database } from "../shared/db/database.ts";
import { ModelRegistry } from "../shared/registry/model-registry.ts";

export const CUSTOMERS = 23_570;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function timeQueries(db: Database, rounds = 200) {
  const registry = new ModelRegistry(db, new FileArtifactStore("/nonexistent"));
  const version = await registry.getProductionVersion("bench");
  if (!version) throw new Error("no production version of bench");
  const production: number[] = [];
  const features: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await registry.getProductionVersion("bench");
    production.push(performance.now() - t);
    if (r % 10 === 0) {
      const ids = Array.from({ length: 1000 }, (_, i) =>
        String(((r * 997 + i * 13) % CUSTOMERS) + 1).padStart(5, "0"),
      );
      t = performance.now();
      await registry.getCustomerFeatures(version.id, ids);
      features.push(performance.now() - t);
    }
  }
  return { production: median(production), features: median(features) };
}

if (import.meta.main) {
  const handle = await createDatabase({ dataDir: process.argv[2] as string, maxConnections: 1 });
  console.log(JSON.stringify(await timeQueries(handle.db)));
  await handle.close();
}
