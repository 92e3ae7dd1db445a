// The forecast Workers' R2 bucket MODEL_ARTIFACTS and KV namespace MODEL_POINTER in wrangler's
// LOCAL state (what `wrangler dev` reads), opened with miniflare on the same files, as wrangler's
// own `kv key put --local` does: importing wrangler for getPlatformProxy cost 1.9 s of each
// 3.2 s call. Every operation is retried (local-state-retry.ts). Runs under Node: miniflare
// needs Node's fetch.
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { retryLocalState } from "./local-state-retry.ts";
import { readModelBindings } from "./wrangler-bindings.ts";

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

async function openMiniflare(configPath: string, persistDir: string) {
  const { bucketName, pointerNamespaceId } = readModelBindings(configPath);
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response(null, { status: 404 }) };",
    // wrangler dev --persist-to DIR keeps its state in DIR/v3, keyed by namespace id and bucket.
    defaultPersistRoot: join(persistDir, "v3"),
    kvNamespaces: { MODEL_POINTER: pointerNamespaceId },
    r2Buckets: { MODEL_ARTIFACTS: bucketName },
  });
  try {
    const bucket = (await mf.getR2Bucket("MODEL_ARTIFACTS")) as unknown as LocalBucket;
    const pointer = (await mf.getKVNamespace("MODEL_POINTER")) as unknown as LocalPointer;
    return { mf, bucket, pointer };
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
}

/**
 * Both bindings of the wrangler config, on the state wrangler dev --persist-to DIR keeps. A
 * miniflare whose workerd stopped answering (its "AssertionError: false == true" from the
 * synchronous fetcher, seen under load in CI) fails every later call, so after a second failure in
 * a row it is opened anew before the next try.
 */
export async function openLocalBindings(
  configPath: string,
  persistDir: string,
): Promise<{ bucket: LocalBucket; pointer: LocalPointer; dispose(): Promise<void> }> {
  let open = await openMiniflare(configPath, persistDir);
  const reopen = async (_error: unknown, attempt: number) => {
    if (attempt < 2) return;
    await open.mf.dispose().catch(() => {});
    open = await openMiniflare(configPath, persistDir);
  };
  const retried = <T>(operation: () => Promise<T>) => retryLocalState(operation, 8, 150, reopen);
  return {
    bucket: {
      // The body is read inside the retry: it streams from workerd, and a stream cut under load
      // (seen on the largest file, customer_features.f32) is retried too.
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
    dispose: () => open.mf.dispose(),
  };
}
