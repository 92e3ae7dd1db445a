// The README's `ml` commands name only options their command has: every `--flag` after
// `npm run ml -- <command> [<subcommand>]` (or `bun run ml`, `ml <command>` in prose) up to the end
// of the example is looked up in commander's definition of that command.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { buildCli } from "../cli.ts";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

/** `line: problem` for each option the README gives a command that the command does not have. */
function unknownOptions(text: string, program: Command): { checked: number; problems: string[] } {
  const problems: string[] = [];
  let checked = 0;
  // A shell line continued with `\` is one command.
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const mention =
    /(?:npm run ml --|bun run ml|`ml|^ml| ml)\s+([a-z-]+)(?:\s+([a-z-]+))?([^`|;&#]*)/g;
  lines.forEach((line, i) => {
    for (const m of line.matchAll(mention)) {
      let command = program.commands.find((c) => c.name() === m[1]);
      if (!command) continue;
      let rest = `${m[2] ?? ""} ${m[3] ?? ""}`;
      const sub = command.commands.find((c) => c.name() === m[2]);
      if (sub) [command, rest] = [sub, m[3] ?? ""];
      checked++;
      const options = new Set([...command.options.map((o) => o.long), "--help"]);
      for (const flag of rest.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) {
        if (!options.has(flag[1]!))
          problems.push(`${i + 1}: ml ${command.name()} has no ${flag[1]}`);
      }
    }
  });
  return { checked, problems };
}

test("every option the README gives an `ml` command is one of its options", () => {
  const { checked, problems } = unknownOptions(readme, buildCli());
  expect(checked).toBeGreaterThan(100);
  expect(problems).toEqual([]);
});

test("the check finds a made-up option (it can fail)", () => {
  const text = "npm run ml -- score --model purchase \\\n  --horizon 52w --horizn 4w --out s.csv\n";
  expect(unknownOptions(text, buildCli()).problems).toEqual(["1: ml score has no --horizn"]);
});
