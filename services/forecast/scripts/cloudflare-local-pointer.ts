// Prints a model's KV pointer from wrangler's LOCAL state (what `wrangler dev` reads), or nothing
// when there is none: how `ml forget --republish … --local` learns which version the Workers serve.
// Runs under Node (`node --import tsx`), as cloudflare-local-put.ts does.
//   node --import tsx cloudflare-local-pointer.ts <wrangler.toml> <persist dir> <model>
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import type { PointerStore } from "../src/model/r2-source.ts";

const [configPath, persistDir, model] = process.argv.slice(2);
if (!configPath || !persistDir || !model) {
  console.error("usage: cloudflare-local-pointer.ts <wrangler.toml> <persist dir> <model>");
  process.exit(2);
}
const proxy = await getPlatformProxy<Record<string, unknown>>({
  configPath,
  persist: { path: join(persistDir, "v3") },
});
try {
  const pointer = proxy.env.MODEL_POINTER as PointerStore | undefined;
  if (!pointer) throw new Error(`${configPath} lacks the MODEL_POINTER binding`);
  console.log(JSON.stringify({ pointer: await pointer.get(model) }));
} finally {
  await proxy.dispose();
}
