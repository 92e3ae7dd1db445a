import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBenchScript } from "./run-bench-script.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-fake-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("collects the figures of a script's BENCH_JSON line, with their direction, and its exit code", async () => {
  const file = join(dir, "fake.ts");
  writeFileSync(
    file,
    `import { benchResults } from ${JSON.stringify(join(import.meta.dirname, "bench-results.ts"))};
const results = benchResults("fake");
console.log("a line for the reader");
results.add("fit", 1.5, "s");
results.add("rate", 200, "req/s");
results.add("after/before", 0.9, "ratio", "higher");
results.add("coverage", 95, "%");
process.exitCode = Number(process.argv[2]);
`,
  );
  const run = await runBenchScript({ file, args: ["3"], cwd: dir, label: "fake" });
  expect(run.exitCode).toBe(3);
  expect(run.figures).toEqual([
    { name: "fit", value: 1.5, unit: "s", better: "lower" },
    { name: "rate", value: 200, unit: "req/s", better: "higher" },
    { name: "after/before", value: 0.9, unit: "ratio", better: "higher" },
    { name: "coverage", value: 95, unit: "%" },
  ]);
});
