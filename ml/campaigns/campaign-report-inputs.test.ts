// `ml campaign report` takes the same log input options as `ml train`: the same campaign measured
// from the plain CSV, its Parquet copy and a shop export (other column names, `;`, US timestamps)
// gives the same result.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CampaignResult } from "@pp/shared/campaigns/campaign-result.ts";
import { runCliCaptured, saveDatabaseEnv } from "../testing/cli-harness.ts";
import {
  shopExportArguments,
  writeParquetCopy,
  writeShopExportCopy,
} from "../testing/log-layouts.ts";

const restoreEnv = saveDatabaseEnv();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pp-campaign-inputs-"));
  process.env.DATA_DIR = join(dir, "db");
  delete process.env.DATABASE_URL;
});

afterAll(() => {
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
});

async function report(
  name: string,
  input: string[],
): Promise<{ result: CampaignResult; out: string }> {
  const out = join(dir, name);
  const run = await runCliCaptured([
    "campaign",
    "report",
    "--campaign",
    "c1",
    ...input,
    "--out",
    out,
  ]);
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  const result = JSON.parse(readFileSync(join(out, "campaign.json"), "utf8")) as CampaignResult;
  return { result, out: run.out };
}

test("plain CSV, Parquet and a shop export with US timestamps measure the same campaign", async () => {
  const csv = join(dir, "tx.csv");
  const sim = await runCliCaptured([
    "simulate",
    "--campaign",
    "c1",
    "--customers",
    "1500",
    "--seed",
    "4",
    "--out",
    csv,
  ]);
  expect(sim.code).toBe(0);
  const parquet = join(dir, "tx.parquet");
  const shop = join(dir, "shop-export.csv");
  await writeParquetCopy(csv, parquet);
  await writeShopExportCopy(csv, shop);
  expect(readFileSync(shop, "utf8").split("\n")[0]).toBe("Customer ID;Invoice Date;Line Total");

  const plain = await report("plain", ["--data", csv]);
  expect(plain.result.groups.treated + plain.result.groups.control).toBe(1500);
  expect(plain.result.actions.map((a) => a.action).sort()).toEqual(["call", "coupon", "email"]);
  expect(plain.out).toMatch(/^data: [\d,]+ rows read, [\d,]+ kept/m);
  const fromParquet = await report("parquet", ["--data", parquet]);
  const fromShop = await report("shop", shopExportArguments(shop));
  expect(fromShop.out).toContain("dates read as %m/%d/%Y %H:%M");
  expect(fromParquet.result).toEqual(plain.result);
  expect(fromShop.result).toEqual(plain.result);
}, 120_000);

test("the input layer's errors name the option; exit code 2", async () => {
  const csv = join(dir, "tx.csv");
  const noColumn = await runCliCaptured([
    "campaign",
    "report",
    "--campaign",
    "c1",
    "--data",
    csv,
    "--customer-col",
    "Kunde",
  ]);
  expect(noColumn.code).toBe(2);
  expect(noColumn.err).toContain("Kunde");
  const table = await runCliCaptured([
    "campaign",
    "report",
    "--campaign",
    "c1",
    "--data",
    csv,
    "--table",
    "t",
  ]);
  expect(table.code).toBe(2);
  expect(table.err).toContain("--table");
}, 60_000);
