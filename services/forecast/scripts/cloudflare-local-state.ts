// Reads a model's KV pointer from, deletes R2 objects in, or inspects wrangler's LOCAL state (what
// `wrangler dev` reads): how `ml forget --republish … --local` learns which version the Workers
// serve and removes the bundles of the others that held erased customers, and how an operator (or
// publish-crash.test.ts) sees what a cold Worker would load. Prints one JSON line. Runs under Node
// (`node --import tsx`), as cloudflare-local-put.ts does.
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model>
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> delete <key>…
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> inspect <model> [id]
import { type LocalBucket, type LocalPointer, openLocalBindings } from "./local-bindings.ts";

const [configPath, persistDir, op, ...rest] = process.argv.slice(2);
const ops = ["pointer", "delete", "inspect"];
if (!configPath || !persistDir || !ops.includes(op ?? "") || rest.length === 0) {
  console.error(
    "usage: cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model> | delete <key>… | inspect <model>",
  );
  process.exit(2);
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
async function inspect(pointer: LocalPointer, bucket: LocalBucket, model: string, id?: string) {
  // Imported here: the model loader takes 0.3 s to load, and `pointer` and `delete` do not need it.
  const { r2ModelSource } = await import("../src/model/r2-source.ts");
  const { typescriptEngine } = await import("../src/model/typescript-engine.ts");
  const source = r2ModelSource({ pointer, bucket, modelName: model, engine: typescriptEngine });
  const value = await pointer.get(model);
  let loaded: { version: number; customers: number; knows?: boolean } | { error: string };
  try {
    const { model: m } = await source.load();
    loaded = { version: m.identity.version, customers: m.customers.n };
    if (id !== undefined) loaded.knows = m.customers.rowOf(id) >= 0;
  } catch (error) {
    loaded = { error: error instanceof Error ? error.message : String(error) };
  }
  return { pointer: value, loaded, keys: await keysOf(bucket, model) };
}

const { bucket, pointer, dispose } = await openLocalBindings(configPath, persistDir);
try {
  if (op === "pointer") {
    console.log(JSON.stringify({ pointer: await pointer.get(rest[0] as string) }));
  } else if (op === "inspect") {
    console.log(JSON.stringify(await inspect(pointer, bucket, rest[0] as string, rest[1])));
  } else {
    let deleted = 0;
    for (const key of rest) {
      if ((await bucket.head(key)) === null) continue;
      await bucket.delete(key);
      deleted++;
    }
    console.log(JSON.stringify({ deleted }));
  }
} finally {
  await dispose();
}
