// Publishing into slots, with in-memory bindings: the same version published again goes to the
// other slot and the old copy is deleted after the flip; a publisher stopped after any one of its
// writes leaves the pointer on a complete bundle, and running it again finishes the job.
// (kill -9 of the real publisher on wrangler's local state: scripts/publish-crash.test.ts.)
import { beforeAll, describe, expect, test } from "bun:test";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { trainDemoBundle } from "../testing/demo-bundle.ts";
import { memoryBindings } from "../testing/memory-bindings.ts";
import { CUSTOMERS_FILE, encodeBundle } from "./exported-bundle.ts";
import { ModelHolder } from "./model-holder.ts";
import { bundleKeys, publishBundle, slotToWrite } from "./publish-bundle.ts";
import { artifactKey, parsePointer, r2ModelSource } from "./r2-source.ts";
import type { RawModel } from "./registry-source.ts";
import { typescriptEngine } from "./typescript-engine.ts";

let raw: RawModel;
let before: Map<string, Uint8Array>; // v2 as first published
let after: Map<string, Uint8Array>; // v2 again, one customer erased
let erased: string;

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 200, seed: 4 });
  raw = { ...demo.raw, identity: { ...demo.raw.identity, version: 2 } };
  const [first, ...rest] = raw.customerRows;
  if (!first) throw new Error("the demo stores no customers");
  erased = first.customerId;
  before = await encodeBundle(raw);
  after = await encodeBundle({ ...raw, customerRows: rest });
}, 60_000);

/** What a cold Worker would load from these bindings: the version and how many customers. */
async function served(b: ReturnType<typeof memoryBindings>) {
  const source = r2ModelSource({ ...b, modelName: "purchase", engine: typescriptEngine });
  const holder = new ModelHolder(source, {
    logger: createLogger({ sink: () => {} }),
    metrics: new MetricsRegistry(),
  });
  const outcome = await holder.refresh();
  return { outcome, customers: holder.current?.customers.n ?? 0 };
}

/** Keys whose customers.json still names the erased customer. */
function keysHolding(b: ReturnType<typeof memoryBindings>, id: string): string[] {
  const needle = JSON.stringify(id);
  return [...b.objects]
    .filter(
      ([key, bytes]) =>
        key.endsWith(CUSTOMERS_FILE) && new TextDecoder().decode(bytes).includes(needle),
    )
    .map(([key]) => key);
}

describe("slotToWrite", () => {
  test("the slot the pointer does not name for this version; a for another or none", () => {
    expect(slotToWrite(null, 2)).toBe("a");
    expect(slotToWrite({ version: 2, slot: "a" }, 2)).toBe("b");
    expect(slotToWrite({ version: 2, slot: "b" }, 2)).toBe("a");
    expect(slotToWrite({ version: 2 }, 2)).toBe("a");
    expect(slotToWrite({ version: 1, slot: "a" }, 2)).toBe("a");
  });
});

describe("publishBundle", () => {
  test("the same version again: the other slot, then the old copy and files from before slots go", async () => {
    const b = memoryBindings();
    // v1 in place, and a v2 copy as a publisher before slots left it (under the version).
    for (const [name, bytes] of before) b.objects.set(artifactKey("purchase", 2, name), bytes);
    await publishBundle(
      b,
      "purchase",
      1,
      await encodeBundle({ ...raw, identity: { ...raw.identity, version: 1 } }),
    );
    const v1Keys = [...b.objects.keys()].filter((k) => k.startsWith("purchase/1/a/"));
    expect(v1Keys.length).toBe(before.size);

    await publishBundle(b, "purchase", 2, before);
    expect(parsePointer(b.keys.get("purchase") ?? "")).toMatchObject({ version: 2, slot: "a" });
    await publishBundle(b, "purchase", 2, after);
    expect(parsePointer(b.keys.get("purchase") ?? "")).toMatchObject({ version: 2, slot: "b" });
    const v2Keys = [...b.objects.keys()].filter((k) => k.startsWith("purchase/2/")).sort();
    expect(v2Keys).toEqual(
      [...after.keys()].map((name) => artifactKey("purchase", 2, name, "b")).sort(),
    );
    expect(keysHolding(b, erased).filter((k) => k.startsWith("purchase/2/"))).toEqual([]);
    expect(await served(b)).toEqual({ outcome: "loaded", customers: raw.customerRows.length - 1 });
    // v1 is another version: untouched.
    expect([...b.objects.keys()].filter((k) => k.startsWith("purchase/1/"))).toEqual(v1Keys);
    await publishBundle(b, "purchase", 2, after);
    expect(parsePointer(b.keys.get("purchase") ?? "")).toMatchObject({ version: 2, slot: "a" });
    expect(bundleKeys("purchase", 2, "a").filter((k) => b.objects.has(k))).toEqual([]);
  }, 60_000);

  test("stopped after each of its writes: the pointer names a complete bundle; run again, nothing of the old is left", async () => {
    const writes = before.size + 1 + bundleKeys("purchase", 2, "a").length;
    const seen = new Set<number>();
    for (let n = 0; n < writes; n++) {
      const b = memoryBindings();
      await publishBundle(b, "purchase", 2, before);
      b.stopAfter(n);
      await expect(publishBundle(b, "purchase", 2, after)).rejects.toThrow(/stopped after/);
      const midway = await served(b);
      expect({ n, outcome: midway.outcome }).toEqual({ n, outcome: "loaded" });
      seen.add(midway.customers);
      b.stopAfter(null);
      await publishBundle(b, "purchase", 2, after);
      expect({ n, ...(await served(b)) }).toEqual({
        n,
        outcome: "loaded",
        customers: raw.customerRows.length - 1,
      });
      expect({ n, holding: keysHolding(b, erased) }).toEqual({ n, holding: [] });
    }
    // Stopped before the flip the old bundle serves, after it the new one: both were seen.
    expect([...seen].sort()).toEqual([raw.customerRows.length - 1, raw.customerRows.length]);
  }, 120_000);
});
