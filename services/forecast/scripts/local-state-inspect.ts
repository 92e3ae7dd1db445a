// What a cold forecast Worker would load from a model's KV pointer and R2 bundle in wrangler's
// local state: `cloudflare-local-state.ts inspect` prints it for an operator, and the tests that
// publish there read it through one long-lived Node process (src/testing/local-workers-state.ts).
import type { LocalBucket, LocalPointer } from "./local-bindings.ts";

export interface LocalStateInspection {
  pointer: string | null;
  loaded: { version: number; customers: number; knows?: boolean } | { error: string };
  keys: string[];
}

/** Every R2 key under `<model>/`, sorted. */
async function keysOf(bucket: LocalBucket, model: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: `${model}/`, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

/**
 * The pointer, what a cold Worker loads through it (or why it cannot; with a customer id, whether
 * the loaded bundle knows that customer), and every key.
 */
export async function inspectLocalModel(
  pointer: LocalPointer,
  bucket: LocalBucket,
  model: string,
  id?: string,
): Promise<LocalStateInspection> {
  // Imported here: the model loader takes 0.3 s to load, and `pointer` and `delete` do not need it.
  const { r2ModelSource } = await import("../src/model/r2-source.ts");
  const { typescriptEngine } = await import("../src/model/typescript-engine.ts");
  const source = r2ModelSource({ pointer, bucket, modelName: model, engine: typescriptEngine });
  const value = await pointer.get(model);
  let loaded: LocalStateInspection["loaded"];
  try {
    const { model: m } = await source.load();
    loaded = { version: m.identity.version, customers: m.customers.n };
    if (id !== undefined) loaded.knows = m.customers.rowOf(id) >= 0;
  } catch (error) {
    loaded = { error: error instanceof Error ? error.message : String(error) };
  }
  return { pointer: value, loaded, keys: await keysOf(bucket, model) };
}
