// Writes a bundle into wrangler's LOCAL R2 and KV state (what `wrangler dev` reads), through
// miniflare on the same files (local-bindings.ts): one process instead of a wrangler CLI call per
// file. Runs under Node (`node --import tsx`): miniflare needs Node's fetch. Called by
// publish-model.ts.
//   node --import tsx cloudflare-local-put.ts <wrangler.toml> <persist dir> <bundle dir> <model> <version>
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { publishBundle } from "../src/model/publish-bundle.ts";
import { openLocalBindings } from "./local-bindings.ts";

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
const local = await openLocalBindings(configPath, persistDir);
try {
  // One line per step done, so a caller (and publish-crash.test.ts) sees how far it got; the last
  // line is the pointer value.
  const value = await publishBundle(local, model, Number(versionText), files, (s) =>
    console.log(s.step === "pointer" ? `pointer ${s.value}` : `${s.step} ${s.key}`),
  );
  console.log(value);
} finally {
  await local.dispose();
}
