// The import walker on a small throwaway workspace: what it follows, what it leaves out.

import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  collectServiceImports,
  productionDependencyClosure,
  readWorkspaces,
} from "./service-imports.ts";

function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test("follows relative and workspace imports, skips type-only and built-in ones, reports missing files", () => {
  const root = mkdtempSync(join(tmpdir(), "pp-imports-"));
  try {
    writeTree(root, {
      "package.json": JSON.stringify({ workspaces: ["lib", "app", "unused"] }),
      "lib/package.json": JSON.stringify({ name: "@x/lib", dependencies: { zod: "4" } }),
      "app/package.json": JSON.stringify({
        name: "@x/app",
        dependencies: { "@x/lib": "*", hono: "4" },
      }),
      "unused/package.json": JSON.stringify({ name: "@x/unused", dependencies: { big: "1" } }),
      "app/src/entry.ts": [
        'import { Hono } from "hono";',
        'import type { Big } from "@x/unused/types.ts";',
        'import { readFileSync } from "node:fs";',
        'import { helper } from "./helper.ts";',
        '// import { gone } from "./commented-out.ts";',
        'export { schema } from "@x/lib/schema.ts";',
      ].join("\n"),
      "app/src/helper.ts":
        'export const helper = 1;\nconst later = () => import("./missing.ts");\n',
      "lib/schema.ts": 'import {\n  z,\n} from "zod/mini";\nexport const schema = z;\n',
    });
    const imports = collectServiceImports(root, "app/src/entry.ts");
    expect([...imports.files].sort()).toEqual([
      "app/src/entry.ts",
      "app/src/helper.ts",
      "lib/schema.ts",
    ]);
    expect([...imports.workspaceFolders].sort()).toEqual(["app", "lib"]);
    expect([...imports.packages].sort()).toEqual(["@x/lib", "hono", "zod"]);
    expect(imports.unresolved).toEqual(["app/src/helper.ts -> ./missing.ts"]);
    expect([...productionDependencyClosure(readWorkspaces(root), "@x/app")].sort()).toEqual([
      "@x/lib",
      "hono",
      "zod",
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
