// `--help` for the bench scripts: prints the script's opening comment (what it measures, its
// options) and exits, before anything is measured. Without it `npm run bench -- --help` started
// every benchmark (a quarter of an hour of both cores).
import { readFileSync } from "node:fs";

/** The `//` comment lines a source file opens with, without their markers. */
export function openingComment(source: string): string {
  const lines: string[] = [];
  for (const line of source.split("\n")) {
    if (!line.startsWith("//")) break;
    lines.push(line.replace(/^\/\/ ?/, ""));
  }
  return lines.join("\n");
}

/** With `--help` or `-h` on the command line, prints `file`'s opening comment and exits 0. */
export function exitOnHelp(file: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes("--help") && !argv.includes("-h")) return;
  console.log(openingComment(readFileSync(file, "utf8")));
  process.exit(0);
}
