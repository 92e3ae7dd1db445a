// Keeps the notebooks runnable: each notebook's code cells, in order, become one TypeScript file
// beside it (so its relative imports resolve as in the kernel), which `deno check` type-checks and
// `deno run` executes; the CDNOW notebook's printed summary must match the published fit.

import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cdnowSampleOrWarn } from "../ml/data/cdnow-sample.ts";

const notebooksDir = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = join(notebooksDir, "..");
const deno = join(repoRoot, "node_modules/.bin/deno");

interface Notebook {
  cells: Array<{ cell_type: string; source: string[] | string }>;
  metadata: { kernelspec?: { name?: string; language?: string } };
}

const notebooks = readdirSync(notebooksDir).filter((f) => f.endsWith(".ipynb"));
const cdnow = cdnowSampleOrWarn("the notebooks (they read the CDNOW sample)");

function codeOf(notebook: Notebook): string {
  return notebook.cells
    .filter((cell) => cell.cell_type === "code")
    .map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source))
    .join("\n\n");
}

function runDeno(args: string[]) {
  const run = spawnSync(deno, args, {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 120_000,
  });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}

test("there is at least one notebook, on the Deno kernel", () => {
  expect(notebooks.length).toBeGreaterThan(0);
  for (const file of notebooks) {
    const notebook = JSON.parse(readFileSync(join(notebooksDir, file), "utf8")) as Notebook;
    expect(notebook.metadata.kernelspec?.name).toBe("deno");
    expect(notebook.cells.some((c) => c.cell_type === "code")).toBe(true);
  }
});

describe.skipIf(cdnow === null)("notebooks run top to bottom with Deno", () => {
  for (const file of notebooks) {
    test(`${file}: type-checks and runs`, () => {
      const notebook = JSON.parse(readFileSync(join(notebooksDir, file), "utf8")) as Notebook;
      const script = join(notebooksDir, `.${file.replace(/\.ipynb$/, "")}.notebook-test.ts`);
      // The kernel always has the Deno namespace; a plain `deno check` needs to be told.
      writeFileSync(script, `/// <reference lib="deno.ns" />\n${codeOf(notebook)}\n`);
      try {
        const check = runDeno(["check", script]);
        expect({ check: check.status, output: check.output }).toEqual({
          check: 0,
          output: expect.any(String),
        });
        const run = runDeno(["run", "--allow-read", "--allow-env", "--allow-sys", script]);
        expect({ status: run.status, tail: run.output.slice(-2000) }).toEqual({
          status: 0,
          tail: expect.any(String),
        });
        if (file === "cdnow-explore.ipynb") {
          const line = run.stdout.split("\n").find((l) => l.startsWith("NOTEBOOK_SUMMARY "));
          const summary = JSON.parse((line as string).slice("NOTEBOOK_SUMMARY ".length)) as {
            customers: number;
            repeaters: number;
            bgnbd: Record<string, number>;
          };
          expect(summary.customers).toBe(2357);
          expect(summary.repeaters).toBe(946);
          const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
          for (const [name, value] of Object.entries(published)) {
            expect(Math.abs((summary.bgnbd[name] as number) - value) / value).toBeLessThan(0.01);
          }
        }
      } finally {
        rmSync(script, { force: true });
      }
    }, 150_000);
  }
});
