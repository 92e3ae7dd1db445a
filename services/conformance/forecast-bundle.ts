// The model every runtime's forecast service answers from in the conformance runs: the exported
// bundle in services/forecast/worker-model/ (workerd compiles it in; Bun, Node and Deno read it
// with MODEL_SOURCE=bundle:<dir>), so their /forecast answers can be compared exactly. When none
// was exported (`bun run build:forecast-model`), a small demo model is trained in memory.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultWorkerModelDir, writeBundleDir } from "../forecast/scripts/export-bundle.ts";
import { BUNDLE_INDEX } from "../forecast/src/model/exported-bundle.ts";
import { trainDemoBundle } from "../forecast/src/testing/demo-bundle.ts";

export const forecastBundleDir = defaultWorkerModelDir;

export async function ensureForecastBundle(): Promise<void> {
  if (existsSync(join(forecastBundleDir, BUNDLE_INDEX))) return;
  const demo = await trainDemoBundle({ customers: 600, seed: 5 });
  writeBundleDir(demo.files, forecastBundleDir);
}
