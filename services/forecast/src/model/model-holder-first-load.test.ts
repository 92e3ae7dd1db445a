// A forecast service started while its registry is away (PostgreSQL down at start) must serve as
// soon as the registry is back, not at its next poll: it stayed 503 "No model is loaded" for
// ~20 s after the database returned (the 30 s poll), while the decision service recovered in 2 s.
import { beforeAll, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { memoryReader, trainDemoBundle } from "../testing/demo-bundle.ts";
import { ModelHolder, type ModelSource } from "./model-holder.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { bundleModelSource } from "./model-sources.ts";
import { typescriptEngine } from "./typescript-engine.ts";

let files: Map<string, Uint8Array>;
beforeAll(async () => {
  ({ files } = await trainDemoBundle({ customers: 200, seed: 3 }));
}, 60_000);

test("no model yet and the source away: loaded within seconds of its return, not at the poll", async () => {
  let up = false;
  let loads = 0;
  const inner = bundleModelSource({
    read: memoryReader(files),
    description: "memory",
    engine: typescriptEngine,
  });
  const away = () => new ModelLoadError("unavailable", "registry not available: ECONNREFUSED");
  const source: ModelSource = {
    description: "memory",
    currentKey: async () => {
      if (!up) throw away();
      return inner.currentKey();
    },
    load: async () => {
      loads++;
      if (!up) throw away();
      return inner.load();
    },
  };
  const holder = new ModelHolder(source, {
    logger: createLogger({ sink: () => {} }),
    metrics: new MetricsRegistry(),
  });
  expect(await holder.refresh()).toBe("failed");
  holder.startPolling(30_000);
  try {
    await Bun.sleep(500);
    up = true;
    const back = performance.now();
    while (holder.current === null && performance.now() - back < 5000) await Bun.sleep(20);
    expect(holder.current).not.toBeNull();
    expect(performance.now() - back).toBeLessThan(3000);
    // Once loaded, only the poll asks again: no retries beside it.
    const loaded = loads;
    await Bun.sleep(2500);
    expect(loads).toBe(loaded);
  } finally {
    holder.stopPolling();
  }
}, 60_000);
