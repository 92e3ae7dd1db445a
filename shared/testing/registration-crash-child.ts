// Test helper run as a child process: starts a registration and stops just before the commit,
// saying "READY" on stdout, so the parent can kill -9 it with the transaction open.
// Usage: bun registration-crash-child.ts <store> <modelName>  (DATABASE_URL or DATA_DIR set; the
// store is a directory, a file:// or an s3:// URI, whose credentials come from the environment)

import { openArtifactStore } from "../artifacts/open-artifact-store.ts";
import { createDatabase, databaseOptionsFromEnv } from "../db/client.ts";
import { ModelRegistry } from "../registry/model-registry.ts";

const [storeDir = "", modelName = ""] = process.argv.slice(2);
const handle = await createDatabase(databaseOptionsFromEnv());
const registry = new ModelRegistry(handle.db, openArtifactStore(storeDir), {
  faultHook: async (point) => {
    if (point !== "beforeCommit") return;
    process.stdout.write("READY\n");
    await new Promise(() => {}); // hold the transaction open until killed
  },
});
await registry.registerVersion(modelName, {
  artifacts: [{ name: "model.onnx", bytes: new Uint8Array(1 << 16).fill(3) }],
  params: {},
  metrics: { mae: 1 },
  dataWindow: { calibrationEnd: "1997-09-30" },
  timeUnit: "week",
  trainedAt: new Date(),
  promote: true,
  customerFeatures: Array.from({ length: 5000 }, (_, i) => ({
    customerId: `c${i}`,
    summary: { x: i },
    features: [i],
  })),
});
