import { expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { runCli } from "../../cli.ts";
import { failure, tempLogFile as file, readCsvLog as read } from "../../testing/log-files.ts";
import { readCdnowLog } from "../cdnow-reader.ts";
import { readSummaryCsv } from "../summary-reader.ts";
import { InputError } from "./input-error.ts";

// `--data exports` or `--data 'exports/*.csv'` was a reader's EISDIR / ENOENT with a stack trace
// (exit 1), never saying what to pass. The DuckDB reader joins a folder's exports
// (many-files.test.ts); the CDNOW and summary readers take one file.
const month = file("customer_id,date,amount\na,2020-01-01,5\n");
const folder = join(dirname(month), "exports");
mkdirSync(folder, { recursive: true });

test("a folder, a pattern or a missing file is an InputError saying what to pass, from every reader", async () => {
  const none = "names no CSV/TSV, Parquet or JSON file";
  const cases: [string, string, string, string][] = [
    [folder, "is a folder; --data takes one file", "tail -q -n +2", `${none} (it holds nothing)`],
    [join(folder, "*.csv"), "--data takes one file, not a pattern", "tail -q -n +2", none],
    [join(folder, "2020-13.csv"), "no such file", "check the path", "no such file"],
    // A file's own name holding [ that does not exist: both readings are said.
    [
      join(folder, "report[1].csv"),
      "--data takes one file, not a pattern (and no file has that name)",
      "tail -q -n +2",
      `${none} (no file matches it, and no file has that name)`,
    ],
    [
      join(folder, "missing", "*.csv"),
      "--data takes one file, not a pattern",
      "tail -q -n +2",
      `${none} (there is no folder ${join(folder, "missing")})`,
    ],
    [
      "https://example.com/orders.csv",
      "--data takes a local file",
      "download it first",
      "--data takes a local file",
    ],
  ];
  for (const [path, problem, hint, duckdbProblem] of cases) {
    const error = await failure(read(path));
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(`${path}: ${duckdbProblem}`);
    for (const reading of [
      readCdnowLog(path),
      readSummaryCsv(path, { calibrationEnd: "2020-01-31" }),
    ]) {
      const error = await failure(reading);
      expect(error).toBeInstanceOf(InputError);
      expect(error?.message).toContain(`${path}: ${problem}`);
      expect((error as InputError).hint).toContain(hint);
    }
  }
  expect((await read(month)).log.length).toBe(1);
});

test("ml train --data <folder without exports>: one line naming it, exit 2, no stack trace", async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args.join(" "));
  try {
    const out = join(folder, "..", "out");
    const code = await runCli([
      "train",
      "--data",
      folder,
      "--calibration-end",
      "2020-01-31",
      "--out",
      out,
    ]);
    expect(code).toBe(2);
  } finally {
    console.error = original;
  }
  expect(errors.join("\n")).toContain(`error: ${folder}: names no CSV/TSV, Parquet or JSON file`);
  expect(errors.join("\n")).not.toContain("    at ");
});
