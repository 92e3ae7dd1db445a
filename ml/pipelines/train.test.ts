// End to end: `ml train` on a small simulated CSV into a temp dir (metrics.json shape, report with
// SVG charts, manifest, ONNX models that load in onnxruntime-web and agree with the TS trees),
// registration into a PGlite temp dir listed by `ml models`, and the demo model.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { BUNDLE_FILES, parseManifest } from "../bundle/model-bundle.ts";
import { TrainingMetricsSchema } from "../bundle/training-metrics.ts";
import { runCli } from "../cli.ts";
import { summarize } from "../features/summaries.ts";
import { predictGbdt } from "../gbdt/predict.ts";
import { GBDT_ONNX_INPUT, GBDT_ONNX_PREDICTION } from "../onnx/export-tree-ensemble.ts";
import { startFakeMlflowServer } from "../testing/mlflow-fake-server.ts";
import { ensureDemoModel } from "./demo-model.ts";
import { openRegistryFromEnv } from "./open-registry.ts";
import { readLog } from "./read-log.ts";
import { runSimulate, simulatePopulation } from "./simulate.ts";
import { createStepLog } from "./step-log.ts";
import { trackTrainingRun } from "./track-run.ts";
import { runTrainPipeline } from "./train.ts";

ort.env.wasm.numThreads = 1;

let dir: string;
let csv: string;
const savedEnv = {
  DATA_DIR: process.env.DATA_DIR,
  DATABASE_URL: process.env.DATABASE_URL,
  ARTIFACT_STORE_URI: process.env.ARTIFACT_STORE_URI,
  MLFLOW_TRACKING_URI: process.env.MLFLOW_TRACKING_URI,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-train-"));
  csv = join(dir, "transactions.csv");
  await runSimulate({ model: "bgnbd", customers: 800, seed: 7, out: csv });
  process.env.DATA_DIR = join(dir, "data");
  delete process.env.DATABASE_URL;
  delete process.env.ARTIFACT_STORE_URI;
  delete process.env.MLFLOW_TRACKING_URI;
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await runCli(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

const window = ["--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30"];

test("train writes metrics.json, report.html and a bundle whose ONNX models match the TS trees", async () => {
  const out = join(dir, "run");
  const mlflow = await startFakeMlflowServer();
  const lines: string[] = [];
  const result = await runTrainPipeline({
    env: { MLFLOW_TRACKING_URI: mlflow.url },
    steps: createStepLog({ write: (line) => lines.push(line) }),
    data: csv,
    format: "csv",
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
    out,
    folds: 3,
    seed: 1,
    print: () => {},
  });
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(out, "metrics.json"), "utf8")),
  );
  expect(metrics.data.customers).toBe(800);
  expect(metrics.models.gbdt_count?.holdout.folds.length).toBe(3);
  // The progress counts the final fits too: the last line is the whole step's last fit.
  const fits = lines.filter((line) => line.includes("GBDT fits"));
  expect(fits.length).toBe(12);
  expect(fits.at(-1)).toMatch(/GBDT fits 12\/12 \w+ final fit$/);
  expect(metrics.models.gbdt_purchase?.holdout.auc).toBeGreaterThan(0.5);
  expect(metrics.models.bgnbd.holdout?.actual_total).toBeGreaterThan(0);

  const html = await readFile(join(out, "report.html"), "utf8");
  expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
  expect(html).toContain("Parameters and fit");
  expect(html).not.toContain("<script");

  const manifest = parseManifest(await readFile(join(out, BUNDLE_FILES.manifest)));
  expect(manifest.horizon).toBeCloseTo(273 / 7, 9);
  expect(manifest.feature_layout.names.length).toBeGreaterThan(10);
  expect(["gbdt", "bgnbd", "pareto_nbd"]).toContain(manifest.recommended);

  // The bundle holds the production step's models, applied to features at as-of.
  expect(manifest.production?.as_of).toBe(result.production?.asOf as string);
  expect(manifest.calibration_end).toBe(manifest.production?.as_of as string);
  expect(manifest.evaluation?.split.calibration_end).toBe("1997-09-30");
  expect(metrics.evaluation?.recommended).toBe(manifest.recommended);
  expect(metrics.production?.customers).toBe(result.production?.summaries.n as number);
  // The production refits are counted too (a minute or more each on a million customers).
  const refits = lines.filter((line) => line.includes("production GBDT refits"));
  expect(refits.map((line) => line.replace(/.*refits \d\/3 /, "")).sort()).toEqual([
    "count",
    "purchase",
    "spend",
  ]);
  expect(refits.at(-1)).toMatch(/production GBDT refits 3\/3 \w+$/);
  const X = result.served.features as Float32Array;
  const p = manifest.feature_layout.names.length;
  const n = X.length / p;
  const gbdt = result.served.gbdt;
  if (!gbdt) throw new Error("no GBDT trained");
  for (const [file, model] of [
    [BUNDLE_FILES.gbdtCount, gbdt.count],
    [BUNDLE_FILES.gbdtPurchase, gbdt.purchase],
    [BUNDLE_FILES.gbdtSpend, gbdt.spend],
  ] as const) {
    const bytes = await readFile(join(out, file));
    const session = await ort.InferenceSession.create(new Uint8Array(bytes));
    const outputs = await session.run({
      [GBDT_ONNX_INPUT]: new ort.Tensor("float32", X, [n, p]),
    });
    const got = outputs[GBDT_ONNX_PREDICTION]?.data as Float32Array;
    const want = predictGbdt(model, X, n);
    expect(got.length).toBe(n);
    for (let i = 0; i < n; i += 7) {
      // NaN past the end fails the comparison.
      const [g, w] = [got[i] ?? Number.NaN, want[i] ?? Number.NaN];
      expect(Math.abs(g - w)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(w)));
    }
    await session.release();
  }

  // MLflow got the run with the bundle as artifacts; an unreachable server only warns.
  await mlflow.close();
  expect(result.tracking?.warning).toBeNull();
  expect(mlflow.state.runs.size).toBe(1);
  const uploads = mlflow.requests.filter((r) => r.method === "PUT").map((r) => r.path);
  expect(uploads.some((p) => p.endsWith("model/gbdt_count.onnx"))).toBe(true);
  const warnings: string[] = [];
  const unreachable = await trackTrainingRun(
    { MLFLOW_TRACKING_URI: "http://127.0.0.1:9" },
    result.trained,
    result.bundle,
    createStepLog({ write: (line) => warnings.push(line) }),
  );
  expect(unreachable.warning).not.toBeNull();
  expect(warnings.join("\n")).toContain("training is unaffected");
}, 120_000);

test("bad arguments get a one-line error naming the option", async () => {
  const r1 = await cli([
    "train",
    "--data",
    csv,
    "--format",
    "csv",
    "--calibration-end",
    "1997-13-01",
    "--out",
    dir,
  ]);
  expect(r1.code).toBe(2);
  const r2 = await cli(["train", "--data", csv, ...window, "--time-unit", "month", "--out", dir]);
  expect(r2.code).toBe(2);
  const r3 = await cli([
    "train",
    "--data",
    csv,
    "--calibration-end",
    "1998-06-30",
    "--holdout-end",
    "1997-09-30",
    "--out",
    dir,
  ]);
  expect(r3.code).toBe(2);
  expect(r3.err).toContain("--holdout-end");
  const r3b = await cli(["train", "--data", csv, ...window, "--workers", "-2", "--out", dir]);
  expect(r3b.code).toBe(2);
  const r4 = await cli(["train", "--data", join(dir, "missing.csv"), ...window, "--out", dir]);
  expect(r4.code).not.toBe(0);
  const r5 = await cli([
    "simulate",
    "--model",
    "bgnbd",
    "--params",
    "zeta=1",
    "--out",
    join(dir, "x.csv"),
  ]);
  expect(r5.code).toBe(2);
  expect(r5.err).toContain("zeta");
});

test("train --publish: checked before training; a failed publish says the promotion is done", async () => {
  const base = ["train", "--data", csv, ...window, "--fast", "--folds", "3", "--register", "pub"];
  const unknown = await cli([...base, "--out", join(dir, "pub0"), "--promote", "--publish", "aws"]);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toContain('--publish: only "cloudflare" is supported (got "aws")');
  const unpromoted = await cli([...base, "--out", join(dir, "pub1"), "--publish", "cloudflare"]);
  expect(unpromoted.code).toBe(2);
  expect(unpromoted.err).toContain("--publish needs --promote or --promote-if-better");
  const missing = join(dir, "no-such-wrangler.toml");
  const failed = await cli([
    ...base,
    "--out",
    join(dir, "pub2"),
    "--promote",
    "--publish",
    "cloudflare",
    "--local",
    "--config",
    missing,
  ]);
  expect(failed.code).not.toBe(0);
  expect(failed.out).toContain("registered pub v1 (production)");
  expect(failed.err).toContain(
    `pub v1 is registered and production, but publishing pub to the Workers failed (exit 1): run \`ml publish pub --target cloudflare --local --config ${missing}\` (safe to repeat)`,
  );
}, 120_000);

test("train --register --promote stores a version that `ml models` lists; the demo model fills an empty name", async () => {
  const r = await cli([
    "train",
    "--data",
    csv,
    ...window,
    "--out",
    join(dir, "reg"),
    "--fast",
    "--folds",
    "3",
    "--register",
    "clv",
    "--promote",
  ]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toContain("registered clv v1 (production)");

  const listed = await cli(["models"]);
  expect(listed.code).toBe(0);
  // The version's cutoff is the production step's as-of: the last date of the data.
  expect(listed.out).toMatch(/clv\s+1\s+production\s+199[78]-\d\d-\d\d/);
  expect(listed.out).not.toMatch(/clv\s+1\s+production\s+1997-09-30/);

  // Forgotten, then trained again from the same log: left out of the stored customers, and said
  // (it was silent, and /forecast answered 404 for them).
  const forgot = await cli(["forget", "5", "6"]);
  expect(forgot.code).toBe(0);
  const retrained = await cli([
    "train",
    "--data",
    csv,
    ...window,
    "--out",
    join(dir, "reg2"),
    "--fast",
    "--folds",
    "3",
    "--register",
    "clv",
  ]);
  expect(retrained.code).toBe(0);
  expect(retrained.out).toContain(
    "left out of the stored customers: 2 erased by ml forget in the last day",
  );

  const opened = await openRegistryFromEnv();
  try {
    const again = await ensureDemoModel({ registry: opened.registry, modelName: "clv" });
    expect(again.created).toBe(false);
    const messages: string[] = [];
    const demo = await ensureDemoModel({
      registry: opened.registry,
      modelName: "demo",
      customers: 2000,
      log: { info: (m) => messages.push(m), warn: (m) => messages.push(m) },
    });
    expect(demo.created).toBe(true);
    expect(messages.join("\n")).toContain("DEMO");
    const production = await opened.registry.getProductionVersion("demo");
    expect(production?.version).toBe(demo.version);
    const names = (production?.artifacts ?? []).map((a) => a.name).sort();
    expect(names).toEqual(Object.values(BUNDLE_FILES).sort());
    const features = await opened.registry.customerFeatures.get(production?.id as number, [
      "1",
      "2",
    ]);
    expect(features.size).toBeGreaterThan(0);
    console.log(
      `demo model (2,000 simulated customers) trained and registered in ${demo.seconds.toFixed(2)} s`,
    );
  } finally {
    await opened.close();
  }
}, 180_000);

test("--format summary fits the BTYD models only and says so; bad rows fail with a line number", async () => {
  const population = simulatePopulation({ model: "bgnbd", customers: 300, seed: 5 });
  const s = population.exact;
  let text = "id,x,t_x,T,monetary\n";
  for (let i = 0; i < s.n; i++)
    text += `${s.ids[i]},${s.x[i]},${s.tx[i]},${s.T[i]},${s.monetary[i]}\n`;
  const summaryCsv = join(dir, "summaries.csv");
  await writeFile(summaryCsv, text);
  const out = join(dir, "summary-run");
  const r = await cli(["train", "--data", summaryCsv, "--format", "summary", "--out", out]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("no holdout evaluation and no GBDT");
  const metrics = TrainingMetricsSchema.parse(
    JSON.parse(await readFile(join(out, "metrics.json"), "utf8")),
  );
  expect(metrics.models.gbdt_count).toBeNull();
  expect(metrics.models.bgnbd.holdout).toBeNull();
  expect(metrics.models.bgnbd.params.r).toBeGreaterThan(0);
  const manifest = parseManifest(await readFile(join(out, BUNDLE_FILES.manifest)));
  expect(manifest.gbdt.count).toBe(false);
  expect(manifest.horizon).toBe(0);

  const badCsv = join(dir, "bad.csv");
  await writeFile(badCsv, "customer_id,date,amount\na,1997-01-02,10\nb,1997-02-31,5\n");
  const bad = await cli([
    "train",
    "--data",
    badCsv,
    ...window,
    "--on-bad-row",
    "fail",
    "--out",
    out,
  ]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain("line 3");
});

// lifetimes' calibration_and_holdout_data carries each customer's holdout purchases: read, then
// never scored ("no holdout evaluation"). The BTYD holdout needs only those counts.
test("--format summary with holdout columns scores the BTYD models on the holdout as the log does", async () => {
  const fromLog = join(dir, "holdout-from-log");
  expect((await cli(["train", "--data", csv, ...window, "--out", fromLog, "--fast"])).code).toBe(0);
  const { log } = await readLog({ format: "csv", path: csv });
  const s = summarize(log, {
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
  });
  let text = "customer_id,frequency_cal,recency_cal,T_cal,monetary_value_cal,frequency_holdout\n";
  for (let i = 0; i < s.n; i++) {
    text += `${s.ids[i]},${s.x[i]},${s.tx[i]},${s.T[i]},${s.monetary[i]},${s.holdoutPurchases[i]}\n`;
  }
  const summaryCsv = join(dir, "calibration-and-holdout.csv");
  await writeFile(summaryCsv, text);
  const out = join(dir, "holdout-from-summaries");
  const args = ["train", "--data", summaryCsv, "--format", "summary", "--time-unit", "week"];
  const r = await cli([...args, ...window, "--out", out]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("trained from customer summaries: no transactions, so no GBDT");
  const read = async (d: string) =>
    TrainingMetricsSchema.parse(JSON.parse(await readFile(join(d, "metrics.json"), "utf8")));
  const [a, b] = [await read(fromLog), await read(out)];
  for (const model of ["bgnbd", "pareto_nbd"] as const) {
    const [h, g] = [a.models[model].holdout, b.models[model].holdout];
    expect(g?.actual_total).toBe(h?.actual_total as number);
    expect(g?.auc).toBeCloseTo(h?.auc as number, 6);
    expect(g?.poisson_deviance).toBeCloseTo(h?.poisson_deviance as number, 4);
  }
  // Without holdout counts in the file, a holdout cannot be scored: said, naming the column.
  const noCounts = join(dir, "no-holdout-counts.csv");
  await writeFile(noCounts, text.replace(",frequency_holdout", ",other"));
  const refused = await cli([
    ...args.slice(0, 2),
    noCounts,
    ...args.slice(3),
    ...window,
    "--out",
    out,
  ]);
  expect(refused.code).toBe(2);
  expect(refused.err).toContain("--holdout-end needs each customer's holdout purchases");
  // lifetimes' names without --time-unit: it counts in days unless told freq="W", so ask which.
  const unitless = await cli([...args.slice(0, 5), ...window, "--out", out]);
  expect(unitless.code).toBe(2);
  expect(unitless.err).toContain(
    'line 1, field "recency_cal": column "recency_cal" is lifetimes\' (or PyMC-Marketing\'s), which counts recency and T in days unless written with freq="W": pass --time-unit day (their default) or --time-unit week',
  );
  // Holdout counts in the file but no dates: not scored, and said so, naming the column (it said
  // "trained from customer summaries without a holdout", of a file that has one).
  const undated = await cli([...args, "--out", join(dir, "holdout-undated")]);
  expect(undated.code).toBe(0);
  expect(undated.out).toContain(
    'the file has each customer\'s holdout purchases (column "frequency_holdout") but no --holdout-end',
  );
});

test("--promote-if-better promotes only when not worse on the same split and says why; ml models shows ml track results", async () => {
  const train = (calibrationEnd: string, out: string) =>
    cli([
      "train",
      "--data",
      csv,
      "--calibration-end",
      calibrationEnd,
      "--holdout-end",
      "1998-06-30",
      "--out",
      join(dir, out),
      "--fast",
      "--folds",
      "3",
      "--evaluate-only",
      "--register",
      "gate",
      "--promote-if-better",
    ]);
  const first = await train("1997-09-30", "gate1");
  expect(first.code).toBe(0);
  expect(first.out).toContain("registered gate v1 (production)");
  expect(first.out).toContain("promoted: gate has no production version yet");
  const same = await train("1997-09-30", "gate2");
  expect(same.out).toContain("registered gate v2 (production)");
  expect(same.out).toMatch(/promoted: not worse: Poisson deviance (\d\.\d+) .* vs \1 /);
  const other = await train("1997-08-31", "gate3");
  expect(other.out).toContain("registered gate v3 (staging)");
  expect(other.out).toContain("not promoted: production v2 was evaluated on another split");
  const both = await cli([
    "train",
    "--data",
    csv,
    ...window,
    "--out",
    join(dir, "g4"),
    "--register",
    "gate",
    "--promote",
    "--promote-if-better",
  ]);
  expect(both.code).toBe(2);
  expect(both.err).toContain("--promote-if-better");

  const tracked = await cli(["track", "--model", "gate", "--data", csv]);
  expect(tracked.code).toBe(0);
  const listed = await cli(["models", "gate"]);
  expect(listed.out).toContain("TRACKED");
  expect(listed.out).toMatch(
    /gate\s+2\s+production.*to 1998-06-30: .*bgnbd \d\.\d\d.*realized\/forecast/,
  );
  expect(listed.out).toMatch(/gate\s+3\s+staging.*\s-$/m);
}, 180_000);

test("train --no-count-bag: one count GBDT instead of the bag, in metrics.json and the bundle", async () => {
  const trees = async (name: string, extra: string[]) => {
    const out = join(dir, name);
    const r = await cli(["train", "--data", csv, ...window, "--out", out, "--fast", ...extra]);
    expect(r.code).toBe(0);
    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
    return metrics.models.gbdt_count.trees as number;
  };
  const bagged = await trees("bagged", []);
  const single = await trees("single", ["--no-count-bag"]);
  // Five members' trees against one model's (each member stops on its own out-of-bag rows).
  expect(single).toBeGreaterThan(0);
  expect(bagged).toBeGreaterThan(2 * single);
}, 60_000);

test("train --workers: the GBDTs trained on 3 threads are byte for byte those of one", async () => {
  const run = async (workers: string) => {
    const out = join(dir, `workers-${workers}`);
    const r = await cli(["train", "--data", csv, ...window, "--out", out, "--workers", workers]);
    expect(r.code).toBe(0);
    const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
    const onnx = await Promise.all(
      ["count", "purchase", "spend"].map((t) => readFile(join(out, `gbdt_${t}.onnx`))),
    );
    return { models: metrics.models, comparison: metrics.comparison, onnx };
  };
  const one = await run("1");
  const three = await run("3");
  expect(three.onnx).toEqual(one.onnx);
  const scores = (m: typeof one) =>
    ["gbdt_count", "gbdt_purchase", "gbdt_spend", "blend"].map((k) => m.models[k]?.holdout);
  expect(scores(three)).toEqual(scores(one));
  expect(three.comparison.recommended).toBe(one.comparison.recommended);
}, 120_000);

test("a log of $0 purchases trains through the production step, with no spend model", async () => {
  // Free sign-ups, or an export whose amounts are all 0: the evaluation skipped Gamma-Gamma, and
  // the production refit used to call it anyway and fail ("no repeat buyers with a positive mean").
  const [header, ...rows] = (await readFile(csv, "utf8")).trimEnd().split("\n");
  const zero = join(dir, "zero.csv"); // customer_id,date,amount with every amount 0
  await writeFile(zero, [header, ...rows.map((l) => l.replace(/[^,]*$/, "0"))].join("\n"));
  const out = join(dir, "zero");
  const r = await cli(["train", "--data", zero, ...window, "--out", out, "--fast"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toContain("Gamma-Gamma not fitted: no repeat buyer has a spend > 0");
  expect(r.out).not.toContain("predicted at its population mean"); // there is none
  const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
  expect(metrics.production.fits.gamma_gamma).toBeNull();
}, 60_000);

test("an event log without amounts (Retail Rocket's layout) trains with --amount-col none", async () => {
  const [, ...rows] = (await readFile(csv, "utf8")).trimEnd().split("\n");
  // timestamp (ms), visitorid, event, itemid, transactionid: a view before each purchase.
  const events = rows.flatMap((line, i) => {
    const [id, date] = line.split(",");
    const ms = Date.parse(`${date}T10:00:00Z`);
    return [`${ms},${id},view,${i},`, `${ms + 60_000},${id},transaction,${i},t${i}`];
  });
  const log = join(dir, "events.csv");
  await writeFile(log, ["timestamp,visitorid,event,itemid,transactionid", ...events].join("\n"));
  const out = join(dir, "events");
  const args = ["--customer-col", "visitorid", "--date-col", "timestamp", ...window, "--fast"];
  const r = await cli([
    "train",
    "--data",
    log,
    ...args,
    "--out",
    out,
    "--amount-col",
    "none",
    "--keep-rows",
    "event=transaction",
  ]);
  expect(r.code).toBe(0);
  expect(r.out).toContain("dates read as epoch_ms");
  expect(r.out).toContain("no amounts (--amount-col none): purchases counted, no spend model");
  expect(r.out).toContain(
    `left out by --keep-rows event=transaction: ${rows.length.toLocaleString("en-US")} rows`,
  );
  const metrics = JSON.parse(await readFile(join(out, "metrics.json"), "utf8"));
  const plain = await readLog({ format: "csv", path: csv });
  expect(metrics.data.no_amount).toBe(true);
  expect(metrics.data.zero_amount_rows).toBe(0);
  expect(metrics.data.purchase_days).toBe(plain.quality.purchase_days); // the same purchases
  // Without the option the missing column is named, with what to pass.
  const missing = await cli(["train", "--data", log, ...args, "--out", out]);
  expect(missing.code).toBe(2);
  expect(missing.err).toContain('there is no column "amount"');
  // Without --keep-rows, half the rows are views: the read stops, naming what to pass.
  const unfiltered = await cli([
    "train",
    "--data",
    log,
    ...args,
    "--out",
    out,
    "--amount-col",
    "none",
  ]);
  expect(unfiltered.code).toBe(2);
  expect(unfiltered.err).toContain("pass --keep-rows event=transaction to read only the purchases");
}, 60_000);
