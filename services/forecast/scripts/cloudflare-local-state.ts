// Reads a model's KV pointer from, deletes R2 objects in, or inspects wrangler's LOCAL state (what
// `wrangler dev` reads): how `ml forget --republish … --local` learns which version the Workers
// serve and removes the bundles of the others that held erased customers, and how an operator (or
// publish-crash.test.ts) sees what a cold Worker would load. Prints one JSON line. Runs under Node
// (`node --import tsx`), as cloudflare-local-put.ts does.
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model>
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> delete <key>…
//   node --import tsx cloudflare-local-state.ts <wrangler.toml> <persist dir> inspect <model> [id]
import { openLocalBindings } from "./local-bindings.ts";
import { inspectLocalModel } from "./local-state-inspect.ts";

const [configPath, persistDir, op, ...rest] = process.argv.slice(2);
const ops = ["pointer", "delete", "inspect"];
if (!configPath || !persistDir || !ops.includes(op ?? "") || rest.length === 0) {
  console.error(
    "usage: cloudflare-local-state.ts <wrangler.toml> <persist dir> pointer <model> | delete <key>… | inspect <model>",
  );
  process.exit(2);
}

const { bucket, pointer, dispose } = await openLocalBindings(configPath, persistDir);
try {
  if (op === "pointer") {
    console.log(JSON.stringify({ pointer: await pointer.get(rest[0] as string) }));
  } else if (op === "inspect") {
    console.log(
      JSON.stringify(await inspectLocalModel(pointer, bucket, rest[0] as string, rest[1])),
    );
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
