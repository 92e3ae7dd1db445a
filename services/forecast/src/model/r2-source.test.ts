// The R2 + KV model source with in-memory stand-ins for the two bindings: pointer formats, what a
// bad pointer, a missing object and a corrupt file do, and the bundled fallback.
import { beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { memoryReader, twoDemoVersions } from "../testing/demo-bundle.ts";
import { memoryBindings } from "../testing/memory-bindings.ts";
import { ModelHolder } from "./model-holder.ts";
import { bundleModelSource } from "./model-sources.ts";
import { publishBundle } from "./publish-bundle.ts";
import { artifactKey, parsePointer, r2ModelSource } from "./r2-source.ts";
import { typescriptEngine } from "./typescript-engine.ts";

let v1: Map<string, Uint8Array>;
let v2: Map<string, Uint8Array>;

beforeAll(async () => {
  ({ v1, v2 } = await twoDemoVersions({ customers: 300, seed: 5 }));
}, 60_000);

const quietDeps = () => ({
  logger: createLogger({ sink: () => {} }),
  metrics: new MetricsRegistry(),
});

describe("parsePointer", () => {
  test("a JSON pointer or a bare version; anything else is refused", () => {
    const sha = "a".repeat(64);
    expect(parsePointer(`{"version":3,"bundle_sha256":"${sha}"}`)).toEqual({
      version: 3,
      bundle_sha256: sha,
    });
    expect(parsePointer(" 12 ")).toEqual({ version: 12 });
    expect(parsePointer(`{"version":3,"bundle_sha256":"${sha}","slot":"b"}`)).toEqual({
      version: 3,
      bundle_sha256: sha,
      slot: "b",
    });
    for (const bad of [
      "0",
      "-1",
      "1.5",
      "v2",
      '{"version":"2"}',
      '{"version":2,"bundle_sha256":"x"}',
      '{"version":2,"slot":"c"}',
      '{"version":2,"slot":"../a"}',
      "",
      "\u0000",
      "1e308",
      '{"version":1e308,"slot":"a"}',
      '{"version":2147483648}',
      "null",
    ]) {
      expect(parsePointer(bad)).toBeNull();
    }
  });
});

/** The R2 source over `b`, with v1 as the build's bundled model (its fallback). */
const withBundledFallback = (b: ReturnType<typeof memoryBindings>) =>
  r2ModelSource({
    ...b,
    modelName: "purchase",
    engine: typescriptEngine,
    fallback: bundleModelSource({
      read: memoryReader(v1),
      description: "bundled",
      engine: typescriptEngine,
    }),
  });

describe("r2ModelSource", () => {
  test("serves the pointed version, follows a flip, refuses a corrupt version and keeps the old", async () => {
    const b = memoryBindings();
    const quiet = quietDeps();
    await publishBundle(b, "purchase", 1, v1);
    const holder = new ModelHolder(
      r2ModelSource({ ...b, modelName: "purchase", engine: typescriptEngine }),
      quiet,
    );
    expect(await holder.refresh()).toBe("loaded");
    expect(holder.current?.identity).toMatchObject({ version: 1, source: "r2:purchase/1" });
    expect(await holder.refresh()).toBe("unchanged");

    await publishBundle(b, "purchase", 2, v2);
    expect(await holder.refresh()).toBe("loaded");
    expect(holder.current?.identity.version).toBe(2);

    // Version 3: v2's files, one ONNX byte flipped → checksum failure, v2 stays.
    const corrupt = new Map(v2);
    const onnx = new Uint8Array(corrupt.get("gbdt_count.onnx") as Uint8Array);
    onnx[10] = (onnx[10] ?? 0) ^ 1;
    corrupt.set("gbdt_count.onnx", onnx);
    await publishBundle(b, "purchase", 3, corrupt);
    expect(await holder.refresh()).toBe("failed");
    expect(holder.current?.identity.version).toBe(2);
    expect(quiet.metrics.expose()).toContain('model_load_failures_total{reason="checksum"} 1');
  }, 60_000);

  test("missing object, bundle.json not matching the pointer, wrong version, bad pointer: refused", async () => {
    const cases: Array<[string, (b: ReturnType<typeof memoryBindings>) => Promise<void>, string]> =
      [
        [
          "missing file",
          async (b) => void b.objects.delete(artifactKey("purchase", 1, "model.json", "a")),
          "unavailable",
        ],
        [
          "index swapped",
          async (b) =>
            void b.objects.set(
              artifactKey("purchase", 1, "bundle.json", "a"),
              v2.get("bundle.json") as Uint8Array,
            ),
          "checksum",
        ],
        [
          "pointer to v1 holding v2",
          async (b) => {
            for (const [name, bytes] of v2) b.objects.set(artifactKey("purchase", 1, name), bytes);
            b.keys.set("purchase", "1"); // a pointer from before slots: files under the version
          },
          "invalid",
        ],
        ["garbage pointer", async (b) => void b.keys.set("purchase", "latest"), "invalid"],
        ["no pointer", async (b) => void b.keys.delete("purchase"), "unavailable"],
      ];
    for (const [label, spoil, reason] of cases) {
      const b = memoryBindings();
      await publishBundle(b, "purchase", 1, v1);
      await spoil(b);
      const metrics = new MetricsRegistry();
      const lines: string[] = [];
      const holder = new ModelHolder(
        r2ModelSource({ ...b, modelName: "purchase", engine: typescriptEngine }),
        { logger: createLogger({ sink: (line) => lines.push(line) }), metrics },
      );
      expect({ label, outcome: await holder.refresh() }).toEqual({ label, outcome: "failed" });
      expect({ label, text: metrics.expose(), lines }).toEqual({
        label,
        lines,
        text: expect.stringContaining(`model_load_failures_total{reason="${reason}"} 1`),
      });
    }
  }, 60_000);

  test("without a pointer the bundled fallback serves, until a version is published", async () => {
    const b = memoryBindings();
    const holder = new ModelHolder(withBundledFallback(b), quietDeps());
    expect(await holder.refresh()).toBe("loaded");
    expect(holder.current?.identity.source).toBe("bundled");
    // Serving the build's copy where a published version was meant: /ready says so.
    expect(await holder.readinessCheck().check()).toEqual({
      ok: true,
      degraded: true,
      reason:
        'serving the loaded model; serving the build\'s bundled model: KV MODEL_POINTER has no entry "purchase"; publish a version with `npm run ml -- publish --target cloudflare`',
    });
    await publishBundle(b, "purchase", 2, v2);
    expect(await holder.refresh()).toBe("loaded");
    expect(holder.current?.identity.source).toBe("r2:purchase/2");
    expect(await holder.readinessCheck().check()).toEqual({ ok: true });
  }, 60_000);

  // The edge probe: with the KV entry deleted, a Worker serving v2 from R2 went back to the model
  // compiled into its build (v1, figures 11% apart) within one poll, /ready "ready", no failure.
  test("a pointer gone missing after a published version served: that version stays, degraded", async () => {
    const b = memoryBindings();
    const quiet = quietDeps();
    const holder = new ModelHolder(withBundledFallback(b), quiet);
    await publishBundle(b, "purchase", 2, v2);
    expect(await holder.refresh()).toBe("loaded");
    b.keys.delete("purchase");
    expect(await holder.refresh()).toBe("failed");
    expect(holder.current?.identity.source).toBe("r2:purchase/2");
    const check = await holder.readinessCheck().check();
    expect(check).toMatchObject({ ok: true, degraded: true });
    expect((check as { reason: string }).reason).toContain(
      'KV MODEL_POINTER has no entry "purchase" any more (it named v2, which keeps serving)',
    );
    expect(quiet.metrics.expose()).toContain('model_load_failures_total{reason="unavailable"} 1');
    // Published again: followed as before.
    await publishBundle(b, "purchase", 2, v2);
    expect(await holder.refresh()).not.toBe("failed");
    expect(await holder.readinessCheck().check()).toEqual({ ok: true });
  }, 60_000);
});
