// Issue #19's check that `noUncheckedIndexedAccess` is not undone by casts: an indexed read cast
// `] as number` hides a possibly missing element; non-test code writes `]!` where a bound is known.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { isTestSupport, sourceFiles } from "./source-tree.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SCANNED_ROOTS = ["ml", "services", "shared", "bench", "scripts", "monitoring", "notebooks"];

test("no non-test source casts an indexed read with `] as number`", () => {
  const casts: string[] = [];
  for (const root of SCANNED_ROOTS) {
    for (const file of sourceFiles(ROOT, root)) {
      if (isTestSupport(file)) continue;
      const lines = readFileSync(resolve(ROOT, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        if (line.includes("] as number")) casts.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
  }
  expect(casts).toEqual([]);
});
