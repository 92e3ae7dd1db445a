// The registry source on the embedded store, which offers no LISTEN: a change of the production
// version (an erasure by `ml forget`, a promotion by another process) must be signalled within
// a second, as PostgreSQL's push is. It was left to the 30 s poll, and a customer forgotten by
// `ml forget` stayed served by id, and decided about from their erased summary, meanwhile.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase, type DatabaseHandle } from "@pp/shared/db/client.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { forgetCustomers } from "@pp/shared/registry/forget-customer.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { plainCustomers, registrationInput } from "@pp/shared/testing/registration-input.ts";
import { parseConfig } from "../config.ts";
import { typescriptEngine } from "../model/typescript-engine.ts";
import { openRegistrySource } from "./open-registry-source.ts";

let dir: string;
let handle: DatabaseHandle;
let registry: ModelRegistry;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-registry-source-"));
  handle = await createDatabase({ dataDir: dir });
  await handle.migrate();
  registry = new ModelRegistry(handle.db, new FileArtifactStore(join(dir, "artifacts")));
}, 60_000);
afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Milliseconds until `signals()` exceeds `from`, or null when it did not within `ms`. */
async function signalledWithin(signals: () => number, from: number, ms: number) {
  const start = performance.now();
  while (performance.now() - start < ms) {
    if (signals() > from) return performance.now() - start;
    await Bun.sleep(20);
  }
  return null;
}

test("embedded store: an erasure and a promotion elsewhere are signalled within a second, nothing else is", async () => {
  await registry.registerVersion("erasing", registrationInput(plainCustomers(["a", "b"]), true));
  const env = { DATA_DIR: dir };
  const logger = createLogger({ sink: () => {} });
  const opened = await openRegistrySource(
    parseConfig({ ...env, MODEL_NAME: "erasing" }),
    env,
    logger,
    typescriptEngine,
  );
  try {
    let signals = 0;
    opened.source.watch?.(() => signals++);
    await opened.prepare();
    // The first read of the key may signal once (what changed before it is unknown); then quiet.
    await Bun.sleep(1000);
    const settled = signals;
    await Bun.sleep(1000);
    expect(signals).toBe(settled);

    await forgetCustomers(handle.db, ["a"]);
    const erased = await signalledWithin(() => signals, settled, 3000);
    expect(erased).not.toBeNull();
    expect(erased as number).toBeLessThan(1000);

    const afterErasure = signals;
    await registry.registerVersion("erasing", registrationInput(plainCustomers(["b"]), true));
    const promoted = await signalledWithin(() => signals, afterErasure, 3000);
    expect(promoted).not.toBeNull();
    expect(promoted as number).toBeLessThan(1000);
  } finally {
    await opened.close();
  }
}, 60_000);

// /ready is open to anyone: it said "registry not available: Error: EEXIST: file already exists,
// mkdir '/srv/…'" while the store could not be opened, and "loading model from registry (pglite
// in /srv/…)" while it loaded. The directory is the log line's ("opening the model registry").
test("a store that cannot be opened: the load error and the description name no directory", async () => {
  const file = join(dir, "a-file");
  await Bun.write(file, "x");
  const env = { DATA_DIR: file };
  const opened = await openRegistrySource(
    parseConfig(env),
    env,
    createLogger({ sink: () => {} }),
    typescriptEngine,
  );
  try {
    expect(opened.source.description).toBe("registry (pglite (DATA_DIR))");
    const error = (await opened.source.load().catch((e) => e)) as Error;
    expect(error.message).toStartWith("registry not available: E");
    expect(error.message).not.toContain(dir);
  } finally {
    await opened.close();
  }
});
