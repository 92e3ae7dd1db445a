// `ml publish --target cloudflare` refuses, before writing anything, a bundle whose stored
// customers a Worker isolate (128 MB) cannot load, and says what to do; one that fits passes.
// The publisher is the real one on wrangler's local state (publishFiles, what `ml publish
// --local` runs); the bundles store 300,000 and 100,000 simulated customers.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manyCustomersBundle } from "../src/testing/many-customers-bundle.ts";
import { checkWorkerMemory, publishFiles } from "./publish-model.ts";

const scratch = mkdtempSync(join(tmpdir(), "pp-publish-memory-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const megabytes = (files: Map<string, Uint8Array>) =>
  [...files.values()].reduce((sum, b) => sum + b.length, 0) / 1024 / 1024;

describe("ml publish --target cloudflare and the Workers' 128 MB", () => {
  test("300,000 stored customers (40 MiB in R2): refused before any write, saying what to do", async () => {
    const files = await manyCustomersBundle(300_000);
    expect(megabytes(files)).toBeGreaterThan(35);
    const persistTo = join(scratch, "state");
    const publishing = publishFiles(files, "purchase", 3, { local: true, persistTo });
    await expect(publishing).rejects.toThrow(
      /^purchase v3 was not published: its 300,000 stored customers \(customers\.json [0-9.]+ MiB, customer_features\.f32 [0-9.]+ MiB\) need about [0-9.]+ MiB to load in a Worker, over the [0-9.]+ MiB a 128 MB Workers isolate has for a model \(about [0-9,]+ customers fit\)\. Publish it without them \(`ml publish purchase 3 --target cloudflare --without-customers`/,
    );
    expect(existsSync(persistTo)).toBe(false);
  }, 120_000);

  test("100,000 stored customers fit", async () => {
    const files = await manyCustomersBundle(100_000);
    expect(() => checkWorkerMemory(files, "purchase", 3)).not.toThrow();
  }, 120_000);
});
