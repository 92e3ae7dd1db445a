// Writes a bundle into wrangler's LOCAL R2 and KV state (what `wrangler dev` reads), through
// wrangler's getPlatformProxy: one process instead of a wrangler CLI call per file. Runs under
// Node (`node --import tsx`): miniflare needs Node's fetch. Called by publish-model.ts.
//   node --import tsx cloudflare-local-put.ts <wrangler.toml> <persist dir> <bundle dir> <model> <version>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import {
  publishBundle,
  type WritableBucket,
  type WritablePointer,
} from "../src/model/publish-bundle.ts";
import { retryLocalState } from "./local-state-retry.ts";

const [configPath, persistDir, bundleDir, model, versionText] = process.argv.slice(2);
if (!configPath || !persistDir || !bundleDir || !model || !versionText) {
  console.error(
    "usage: cloudflare-local-put.ts <wrangler.toml> <persist dir> <bundle dir> <model> <version>",
  );
  process.exit(2);
}
const files = new Map<string, Uint8Array>();
for (const name of readdirSync(bundleDir)) {
  files.set(name, new Uint8Array(readFileSync(join(bundleDir, name))));
}
// wrangler dev --persist-to DIR keeps its state in DIR/v3.
const proxy = await getPlatformProxy<Record<string, unknown>>({
  configPath,
  persist: { path: join(persistDir, "v3") },
});
try {
  const bucket = proxy.env.MODEL_ARTIFACTS as WritableBucket | undefined;
  const pointer = proxy.env.MODEL_POINTER as WritablePointer | undefined;
  if (!bucket || !pointer)
    throw new Error(`${configPath} lacks the MODEL_ARTIFACTS or MODEL_POINTER binding`);
  // Each operation retried on its own (see local-state-retry.ts); the order is publishBundle's.
  const retrying = {
    bucket: {
      put: (key: string, value: Uint8Array) => retryLocalState(() => bucket.put(key, value)),
      delete: (key: string) => retryLocalState(() => bucket.delete(key)),
    },
    pointer: {
      get: (key: string) => retryLocalState(() => pointer.get(key)),
      put: (key: string, value: string) => retryLocalState(() => pointer.put(key, value)),
    },
  };
  // One line per step done, so a caller (and publish-crash.test.ts) sees how far it got; the last
  // line is the pointer value.
  const value = await publishBundle(retrying, model, Number(versionText), files, (s) =>
    console.log(s.step === "pointer" ? `pointer ${s.value}` : `${s.step} ${s.key}`),
  );
  console.log(value);
} finally {
  await proxy.dispose();
}
