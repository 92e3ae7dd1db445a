// `ml train`'s holdout-predictions.csv: trained on a small simulated log with hostile customer ids,
// read back, and every holdout score in metrics.json recomputed from it by code written here.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Papa from "papaparse";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";
import { simulatePopulation } from "./simulate.ts";
import { runTrainPipeline } from "./train.ts";

const HOSTILE = ["a,b", 'quo"te', "new\nline", "=1+2", "+cmd|' /C calc'!A0", "@SUM(1)", "-7"];
const FILE = "holdout-predictions.csv";

let dir: string;
let csv: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-holdout-"));
  csv = join(dir, "transactions.csv");
  const { log } = simulatePopulation({ model: "bgnbd", customers: 400, seed: 11 });
  HOSTILE.forEach((id, i) => {
    log.customerIds[i] = id;
  });
  await writeTransactionsCsv(log, csv);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Row = Record<string, string>;
const col = (rows: Row[], name: string) => rows.map((r) => Number(r[name]));

// Independent small implementations of the scores (ml/evaluation/metrics.ts defines them).
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
const mae = (a: number[], p: number[]) => mean(a.map((y, i) => Math.abs(y - p[i]!)));
const rmse = (a: number[], p: number[]) => Math.sqrt(mean(a.map((y, i) => (y - p[i]!) ** 2)));
function deviance(a: number[], p: number[]): number {
  const terms = a.map((y, i) => {
    const mu = Math.max(p[i]!, 1e-15);
    return (y > 0 ? y * Math.log(y / mu) : 0) - (y - mu);
  });
  return 2 * mean(terms);
}
/** AUC as the share of (positive, negative) pairs ranked right, ties one half. */
function auc(a: number[], p: number[]): number {
  const pos = p.filter((_, i) => a[i]! > 0);
  const neg = p.filter((_, i) => a[i]! <= 0);
  let wins = 0;
  for (const s of pos) for (const t of neg) wins += s > t ? 1 : s === t ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}
function logLoss(a: number[], p: number[]): number {
  const clip = (q: number) => Math.min(Math.max(q, 1e-15), 1 - 1e-15);
  return mean(a.map((y, i) => -Math.log(y > 0 ? clip(p[i]!) : 1 - clip(p[i]!))));
}
const countScores = (a: number[], p: number[]) => ({
  mae: mae(a, p),
  rmse: rmse(a, p),
  poisson_deviance: deviance(a, p),
  predicted_total: sum(p),
  actual_total: sum(a),
});
const purchaseScores = (a: number[], p: number[]) => ({ auc: auc(a, p), log_loss: logLoss(a, p) });
const spendScores = (a: number[], p: number[]) => ({
  mae: mae(a, p),
  rmse: rmse(a, p),
  predicted_total: sum(p),
  actual_total: sum(a),
});

/** Each recomputed score equals metrics.json's (to 1e-9 relative: only the summing order differs). */
function expectScores(printed: object | null | undefined, recomputed: Record<string, number>) {
  expect(printed).toBeTruthy();
  const got = printed as Record<string, unknown>;
  for (const [name, value] of Object.entries(recomputed)) {
    const want = got[name] as number;
    expect(typeof want).toBe("number");
    expect(Math.abs(value - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
  }
}

test("holdout-predictions.csv holds one row per calibration customer, from which every holdout score in metrics.json recomputes", async () => {
  const out = join(dir, "run");
  const printed: string[] = [];
  await runTrainPipeline({
    data: csv,
    format: "csv",
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
    out,
    folds: 3,
    seed: 1,
    fast: true,
    evaluateOnly: true,
    print: (line) => printed.push(line),
  });
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(out, "metrics.json"), "utf8")),
  );
  const parsed = Papa.parse<Row>(await readFile(join(out, FILE), "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  expect(parsed.errors).toEqual([]);
  const rows = parsed.data;
  expect(rows.length).toBe(metrics.data.customers);
  expect(new Set(rows.map((r) => r.customer_id)).size).toBe(rows.length);
  // Ids round-trip; those a spreadsheet would run as a formula get a leading ' (as `ml score`).
  const ids = new Set(rows.map((r) => r.customer_id));
  for (const id of ["a,b", 'quo"te', "new\nline", "-7", "'=1+2", "'+cmd|' /C calc'!A0", "'@SUM(1)"])
    expect(ids.has(id)).toBe(true);
  expect(printed.join("\n")).toContain(`note: 3 customer ids in ${FILE} begin like a spreadsheet`);

  const actual = col(rows, "holdout_purchases");
  const m = metrics.models;
  for (const [model, prefix] of [
    [m.bgnbd.holdout, "bgnbd"],
    [m.pareto_nbd.holdout, "pareto_nbd"],
  ] as const) {
    expectScores(model, countScores(actual, col(rows, `${prefix}_expected_purchases`)));
    expectScores(model, purchaseScores(actual, col(rows, `${prefix}_p_purchase`)));
  }
  expectScores(m.gbdt_count?.holdout, countScores(actual, col(rows, "gbdt_expected_purchases")));
  expectScores(m.gbdt_purchase?.holdout, purchaseScores(actual, col(rows, "gbdt_p_purchase")));
  const spend = col(rows, "holdout_spend");
  expectScores(m.gbdt_spend?.holdout, spendScores(spend, col(rows, "gbdt_expected_spend")));
  expectScores(m.blend?.holdout, countScores(actual, col(rows, "blend_expected_purchases")));
  // The blend's P(purchase) scores (AUC, log loss) recompute from its column too.
  expect(m.blend?.holdout.log_loss).toBeDefined();
  expectScores(m.blend?.holdout, purchaseScores(actual, col(rows, "blend_p_purchase")));
  // The GBDT's per-fold scores, from the rows of each fold.
  for (let k = 0; k < 3; k++) {
    const inFold = rows.filter((r) => Number(r.fold) === k + 1);
    const a = col(inFold, "holdout_purchases");
    const folds = (key: "gbdt_count" | "gbdt_purchase") => m[key]?.holdout.folds[k];
    expectScores(folds("gbdt_count"), countScores(a, col(inFold, "gbdt_expected_purchases")));
    expectScores(folds("gbdt_purchase"), purchaseScores(a, col(inFold, "gbdt_p_purchase")));
  }
}, 120_000);

test("no holdout (nothing after the calibration end), no file: one an earlier run left in --out is removed", async () => {
  const out = join(dir, "no-holdout");
  await mkdir(out, { recursive: true });
  await writeFile(join(out, FILE), "left by an earlier run\n");
  await runTrainPipeline({
    data: csv,
    format: "csv",
    calibrationEnd: "1998-12-31",
    timeUnit: "week",
    out,
    evaluateOnly: true,
    print: () => {},
  });
  await access(join(out, "metrics.json"));
  await expect(access(join(out, FILE))).rejects.toThrow();
}, 120_000);
