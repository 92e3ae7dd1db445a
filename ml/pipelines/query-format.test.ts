// `--format` with `--data FOLDER --query`: the query reads each file by its extension, so a
// --format other than the default was silently ignored (`--format cdnow` even dropped the query
// and read the folder as one CDNOW file). It is refused, naming the option and what to pass.

import { afterAll, beforeAll, expect, spyOn, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../cli.ts";

let dir: string;
const saved = process.env.DATA_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-query-format-"));
  process.env.DATA_DIR = join(dir, "data");
  await writeFile(join(dir, "sales.csv"), "customer_id,date,amount\nc1,2020-01-01,5\n");
});

afterAll(async () => {
  if (saved === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = saved;
  await rm(dir, { recursive: true, force: true });
});

for (const format of ["parquet", "json", "xlsx", "cdnow", "summary"]) {
  test(`--format ${format} with --query is refused, naming --format and what to do`, async () => {
    const errors: string[] = [];
    const spy = spyOn(console, "error").mockImplementation((m: unknown) => {
      errors.push(String(m));
    });
    try {
      const query = ["--query", "SELECT customer_id, date, amount FROM sales"];
      const argv = ["train", "--data", dir, ...query, "--format", format, "--out", join(dir, "o")];
      expect(await runCli(argv)).toBe(2);
    } finally {
      spy.mockRestore();
    }
    const message = errors.join("\n");
    expect(message).toContain(`--format ${format}: not with --query`);
    expect(message).toContain("by its extension");
    expect(message).toContain("drop --format");
  });
}
