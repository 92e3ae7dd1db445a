// `ml train --data FOLDER --query`: metrics.json says what was read (the query and the files it
// read), not the format of one of them. Before, data.format was "csv" for any folder query.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { runCli } from "../cli.ts";
import { runSimulate } from "./simulate.ts";

let dir: string;
const saved = process.env.DATA_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-train-query-"));
  process.env.DATA_DIR = join(dir, "data");
});

afterAll(async () => {
  if (saved === undefined) delete process.env.DATA_DIR;
  else process.env.DATA_DIR = saved;
  await rm(dir, { recursive: true, force: true });
});

test("a --query over a folder is recorded as format query, with its text and the files read", async () => {
  const folder = join(dir, "exports");
  await mkdir(folder);
  const sales = join(folder, "sales.csv");
  await runSimulate({ model: "bgnbd", customers: 300, seed: 3, out: sales });
  await writeFile(join(folder, "notes.csv"), "id,note\n1,not read\n");
  const lines = (await readFile(sales, "utf8")).trimEnd().split("\n").length - 1;
  const query = "SELECT customer_id, date, amount FROM sales";
  const out = join(dir, "out");
  const window = ["--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30"];
  const code = await runCli([
    "train",
    "--data",
    folder,
    "--query",
    query,
    ...window,
    "--out",
    out,
    "--fast",
  ]);
  expect(code).toBe(0);
  const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
  expect(TrainingMetricsSchema.safeParse(metrics).success).toBe(true);
  expect(metrics.data.source).toBe(folder);
  expect(metrics.data.format).toBe("query");
  expect(metrics.data.query).toBe(query);
  expect(metrics.data.files).toEqual([sales]); // notes.csv is not named by the query
  expect(metrics.data.rows_read).toBe(lines);
  const report = await readFile(join(out, "report.html"), "utf8");
  expect(report).toContain(`${folder} (query)`);
  expect(report).toContain("files the query read");
}, 120_000);
