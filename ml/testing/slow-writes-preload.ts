// Test support, a `bun --preload` script: the project's modules (ml/, shared/) import
// slow-fs-promises.ts where they import node:fs/promises (Bun cannot replace a built-in module
// itself), so writes into PP_SLOW_WRITE_DIR take long enough to be killed halfway.

import { resolve } from "node:path";
import { plugin } from "bun";

const root = resolve(import.meta.dirname, "../..");
const shim = resolve(import.meta.dirname, "slow-fs-promises.ts");

plugin({
  name: "slow writes",
  setup(build) {
    build.onLoad({ filter: /\/(ml|shared)\/.*\.ts$/ }, async ({ path }) => {
      let contents = await Bun.file(path).text();
      if (path.startsWith(root) && path !== shim && !path.includes("/node_modules/")) {
        contents = contents.replaceAll('from "node:fs/promises"', `from ${JSON.stringify(shim)}`);
      }
      return { contents, loader: "ts" };
    });
  },
});
