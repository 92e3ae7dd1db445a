// Reads a model's KV pointer from, or deletes R2 objects in, wrangler's LOCAL state (what
// `wrangler dev` reads): how `ml forget --republish … --local` learns which version the Workers
// serve and removes the bundles of the others that held erased customers. Prints one JSON line.
// Runs under Node (`node --import tsx`), as cloudflare-local-put.ts does.
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model>
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> delete <key>…
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import type { PointerStore } from "../src/model/r2-source.ts";
import { retryLocalState } from "./local-state-retry.ts";

interface LocalBucket {
  head(key: string): Promise<unknown | null>;
  delete(key: string): Promise<void>;
}

const [configPath, persistDir, op, ...rest] = process.argv.slice(2);
if (!configPath || !persistDir || (op !== "pointer" && op !== "delete") || rest.length === 0) {
  console.error(
    "usage: cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model> | delete <key>…",
  );
  process.exit(2);
}
const proxy = await getPlatformProxy<Record<string, unknown>>({
  configPath,
  persist: { path: join(persistDir, "v3") },
});
try {
  if (op === "pointer") {
    const pointer = proxy.env.MODEL_POINTER as PointerStore | undefined;
    if (!pointer) throw new Error(`${configPath} lacks the MODEL_POINTER binding`);
    const value = await retryLocalState(() => pointer.get(rest[0] as string));
    console.log(JSON.stringify({ pointer: value }));
  } else {
    const bucket = proxy.env.MODEL_ARTIFACTS as LocalBucket | undefined;
    if (!bucket) throw new Error(`${configPath} lacks the MODEL_ARTIFACTS binding`);
    let deleted = 0;
    for (const key of rest) {
      if ((await retryLocalState(() => bucket.head(key))) === null) continue;
      await retryLocalState(() => bucket.delete(key));
      deleted++;
    }
    console.log(JSON.stringify({ deleted }));
  }
} finally {
  await proxy.dispose();
}
