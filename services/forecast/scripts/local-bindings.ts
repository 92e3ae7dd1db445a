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

type Proxy = Awaited<ReturnType<typeof getPlatformProxy<Record<string, unknown>>>>;

async function openProxy(configPath: string, persistDir: string) {
  // wrangler dev --persist-to DIR keeps its state in DIR/v3.
  const proxy: Proxy = await getPlatformProxy<Record<string, unknown>>({
    configPath,
    persist: { path: join(persistDir, "v3") },
  });
  const bucket = proxy.env.MODEL_ARTIFACTS as LocalBucket | undefined;
  const pointer = proxy.env.MODEL_POINTER as LocalPointer | undefined;
  if (!bucket || !pointer) {
    await proxy.dispose();
    throw new Error(`${configPath} lacks the MODEL_ARTIFACTS or MODEL_POINTER binding`);
  }
  return { proxy, bucket, pointer };
}

/**
 * Both bindings of the wrangler config, on the state wrangler dev --persist-to DIR keeps. A proxy
 * whose workerd stopped answering (miniflare's "AssertionError: false == true" from its
 * synchronous fetcher, seen under load in CI) fails every later call, so after a second failure
 * in a row the proxy is opened anew before the next try.
 */
export async function openLocalBindings(
  configPath: string,
  persistDir: string,
): Promise<{ bucket: LocalBucket; pointer: LocalPointer; dispose(): Promise<void> }> {
  let open = await openProxy(configPath, persistDir);
  const reopen = async (_error: unknown, attempt: number) => {
    if (attempt < 2) return;
    await open.proxy.dispose().catch(() => {});
    open = await openProxy(configPath, persistDir);
  };
  const retried = <T>(operation: () => Promise<T>) => retryLocalState(operation, 8, 150, reopen);
  return {
    bucket: {
      // The body is read inside the retry: through the proxy it streams from workerd, and a
      // stream cut under load (seen on the largest file, customer_features.f32) is retried too.
      get: (key) =>
        retried(async () => {
          const object = await open.bucket.get(key);
          if (!object) return null;
          const bytes = await object.arrayBuffer();
          return { arrayBuffer: async () => bytes };
        }),
      head: (key) => retried(() => open.bucket.head(key)),
      put: (key, value) => retried(() => open.bucket.put(key, value)),
      delete: (key) => retried(() => open.bucket.delete(key)),
      list: (options) => retried(() => open.bucket.list(options)),
    },
    pointer: {
      get: (key) => retried(() => open.pointer.get(key)),
      put: (key, value) => retried(() => open.pointer.put(key, value)),
    },
    dispose: () => open.proxy.dispose(),
  };
}
