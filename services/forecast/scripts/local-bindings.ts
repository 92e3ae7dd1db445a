// The forecast Workers' R2 bucket MODEL_ARTIFACTS and KV namespace MODEL_POINTER in wrangler's
// LOCAL state (what `wrangler dev` reads), opened through wrangler's getPlatformProxy for the
// Node scripts here, with every operation retried (local-state-retry.ts). Runs under Node:
// miniflare needs Node's fetch.
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { retryLocalState } from "./local-state-retry.ts";

export interface LocalBucket {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  head(key: string): Promise<unknown | null>;
  put(key: string, value: Uint8Array): Promise<unknown>;
  delete(key: string): Promise<void>;
  list(options: { prefix: string; cursor?: string }): Promise<{
    objects: Array<{ key: string }>;
    truncated: boolean;
    cursor?: string;
  }>;
}
export interface LocalPointer {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<unknown>;
}

/** Both bindings of the wrangler config, on the state wrangler dev --persist-to DIR keeps. */
export async function openLocalBindings(
  configPath: string,
  persistDir: string,
): Promise<{ bucket: LocalBucket; pointer: LocalPointer; dispose(): Promise<void> }> {
  // wrangler dev --persist-to DIR keeps its state in DIR/v3.
  const proxy = await getPlatformProxy<Record<string, unknown>>({
    configPath,
    persist: { path: join(persistDir, "v3") },
  });
  const bucket = proxy.env.MODEL_ARTIFACTS as LocalBucket | undefined;
  const pointer = proxy.env.MODEL_POINTER as LocalPointer | undefined;
  if (!bucket || !pointer) {
    await proxy.dispose();
    throw new Error(`${configPath} lacks the MODEL_ARTIFACTS or MODEL_POINTER binding`);
  }
  return {
    bucket: {
      get: (key) => retryLocalState(() => bucket.get(key)),
      head: (key) => retryLocalState(() => bucket.head(key)),
      put: (key, value) => retryLocalState(() => bucket.put(key, value)),
      delete: (key) => retryLocalState(() => bucket.delete(key)),
      list: (options) => retryLocalState(() => bucket.list(options)),
    },
    pointer: {
      get: (key) => retryLocalState(() => pointer.get(key)),
      put: (key, value) => retryLocalState(() => pointer.put(key, value)),
    },
    dispose: () => proxy.dispose(),
  };
}
