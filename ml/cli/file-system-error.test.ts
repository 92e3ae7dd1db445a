// `ml` as a real process given paths that cannot be used and numbers written as Number() reads
// them: one line naming the path or the option, exit 2, never a stack trace. (A missing --out
// folder and a missing --from-file printed Bun's stack, exit 1; `simulate --customers 1e308` said
// "length larger than (2 ** 53) - 1"; `--seed 1e3`, `--customers 0x10`, `--skip-lines 0x10` were
// taken as numbers, and `--control-share " "` as 0: no control group.)
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileSystemProblem } from "./file-system-error.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-cli-paths-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ml(...args: string[]) {
  const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "" },
  });
  const err = run.stderr.toString().trim();
  return { code: run.exitCode, lines: err.split("\n"), err };
}

describe("ml given a path it cannot use", () => {
  const cases: [string, string[], string][] = [
    [
      "--out in a folder that does not exist",
      ["simulate", "--customers", "5", "--out", "/nonexistent/dir/log.csv"],
      "error: /nonexistent/dir/log.csv: no such file or folder; check the path and that its folder exists (ENOENT on open)",
    ],
    [
      "--out a folder",
      ["simulate", "--customers", "5", "--out", dir],
      `error: ${dir}: is a folder; give a file (EISDIR on open)`,
    ],
    [
      "train --out that is a file (checked before the log is read)",
      ["train", "--data", join(dir, "no-log.csv"), "--out", import.meta.path],
      `error: --out: ${import.meta.path} is a file; give a folder (the bundle's files are written into it)`,
    ],
    [
      "--from-file that does not exist",
      ["forget", "--from-file", join(dir, "ids.txt")],
      `error: ${join(dir, "ids.txt")}: no such file or folder; check the path and that its folder exists (ENOENT on open)`,
    ],
  ];
  for (const [what, args, line] of cases) {
    test(`${what}: one line naming it, exit 2`, () => {
      const run = ml(...args);
      expect({ code: run.code, lines: run.lines }).toEqual({ code: 2, lines: [line] });
    });
  }
});

describe("ml's number options read plain decimal digits", () => {
  const cases: [string[], string][] = [
    [["simulate", "--customers", "1e308"], "--customers <n>"],
    [["simulate", "--customers", "0x10"], "--customers <n>"],
    [["simulate", "--customers", "10000001"], "--customers <n>"],
    [["simulate", "--customers", "5", "--seed", "1e3"], "--seed <n>"],
    [["train", "--data", "x.csv", "--out", "o", "--workers", "0b11"], "--workers <n>"],
    [["train", "--data", "x.csv", "--out", "o", "--folds", " 5"], "--folds <k>"],
    [["train", "--data", "x.csv", "--out", "o", "--skip-lines", "0x10"], "--skip-lines <n>"],
    [["simulate", "--customers", "5", "--control-share", " "], "--control-share <x>"],
  ];
  for (const [args, option] of cases) {
    test(`${args.join(" ")}: exit 2 naming ${option}, nothing written`, () => {
      const out = join(dir, "refused.csv");
      const run = ml(...args, ...(args[0] === "simulate" ? ["--out", out] : []));
      expect(run.code).toBe(2);
      // The error, then commander's "(add --help for usage)".
      expect(run.lines).toEqual([
        expect.stringMatching(new RegExp(`^error: option '${option}' argument .* is invalid\\.`)),
        "(add --help for usage)",
      ]);
      expect(existsSync(out)).toBe(false);
    });
  }
  test("plain digits still work", () => {
    const out = join(dir, "five.csv");
    const run = ml("simulate", "--customers", "5", "--seed", "-3", "--out", out);
    expect(run.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});

test("the machine's state (permission, full disk) is exit 1; errors without a path are not this", () => {
  const err = (code: string) =>
    Object.assign(new Error(code), { code, path: "/x", syscall: "open" });
  expect(fileSystemProblem(err("EACCES"))).toEqual({
    message: "/x: permission denied (EACCES on open)",
    exitCode: 1,
  });
  expect(fileSystemProblem(err("ENOSPC"))?.exitCode).toBe(1);
  expect(fileSystemProblem(err("EEXIST"))).toEqual({
    message: "/x: already exists; give another path (EEXIST on open)",
    exitCode: 2,
  });
  expect(fileSystemProblem(Object.assign(new Error("x"), { code: "ENOENT" }))).toBeNull();
  expect(
    fileSystemProblem(Object.assign(new Error("x"), { code: "ECONNREFUSED", path: "/x" })),
  ).toBeNull();
  expect(fileSystemProblem(null)).toBeNull();
});
