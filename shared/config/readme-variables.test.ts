// The README's Configuration table names only variables the code reads: each one appears in a
// source file that serves or runs (not a test), as a string, an `env.` property or a config schema's key.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isTestSupport, sourceFiles } from "../testing/source-tree.ts";

const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** The variables of the README's table (the rows after `| variable`, up to the first blank line). */
function tableVariables(text: string): string[] {
  const start = text.indexOf("| variable");
  const table = text.slice(start, text.indexOf("\n\n", start));
  return [...table.matchAll(/^\| `([A-Z][A-Z0-9_]*)`(?:, `([A-Z][A-Z0-9_]*)`)?/gm)].flatMap((m) =>
    m.slice(1).filter((v): v is string => v !== undefined),
  );
}

/** The table's variables that `code` neither names as a string, an `env.` property nor a key. */
function unreadVariables(text: string, code: string): string[] {
  return tableVariables(text).filter(
    (v) => !code.includes(`"${v}"`) && !new RegExp(`(env\\??\\.${v}\\b|\\b${v}:)`).test(code),
  );
}

test("every variable of the README's Configuration table is read by the code", () => {
  expect(tableVariables(readme).length).toBeGreaterThan(40);
  const code = ["services", "shared", "ml", "scripts"]
    .flatMap((dir) => sourceFiles(root, dir))
    .filter((path) => !isTestSupport(path))
    .map((path) => readFileSync(join(root, path), "utf8"))
    .join("\n");
  expect(unreadVariables(readme, code)).toEqual([]);
});

test("a variable the code does not read is found (the check can fail)", () => {
  const text =
    "| variable | default |\n| --- | --- |\n| `PORT` | 8001 |\n| `NO_SUCH_VARIABLE_X` | 1 |\n";
  const code = "const port = process.env.PORT;\nconst schema = { HOST: z.string() };";
  expect(unreadVariables(text, code)).toEqual(["NO_SUCH_VARIABLE_X"]);
});
