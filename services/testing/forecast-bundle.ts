// The model every runtime's forecast service answers from in the conformance runs: a demo bundle
// trained from the current recipe into a temp dir. Bun, Node and Deno read it with
// MODEL_SOURCE=bundle:<dir>; the workerd build compiles the same files in (its build step gets
// FORECAST_BUNDLE_FROM=<dir>), so their /forecast answers can be compared exactly.
import { demoBundleDir } from "../forecast/src/testing/demo-bundle-dir.ts";

export function forecastBundle(): Promise<string> {
  return demoBundleDir({ customers: 600, seed: 5 });
}
