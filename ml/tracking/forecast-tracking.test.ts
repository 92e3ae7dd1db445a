// Tests of `ml track`: the accuracy figures against a direct recomputation, the realized counts,
// calibration on a simulated population (true parameters vs. wrong ones), the full pipeline on
// PGlite (stored rows, replacement, metrics exposition) and the CDNOW sample.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { forecastTracking } from "@pp/shared/db/schema.ts";
import { MetricsRegistry } from "@pp/shared/metrics/registry.ts";
import { pollTrackingMetrics, trackingGauges } from "@pp/shared/metrics/tracking-metrics.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { latestProductionTracking } from "@pp/shared/registry/tracking-store.ts";
import { parseExposition, sampleValue } from "@pp/shared/testing/exposition-parser.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { runCli } from "../cli.ts";
import { readCdnowLog } from "../data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";
import { dayToIsoDate, isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { summarize } from "../features/summaries.ts";
import { type BgNbdParams, bgnbdExpectedPurchasesBatch, fitBgNbd } from "../models/bgnbd.ts";
import { fitParetoNbd } from "../models/pareto-nbd.ts";
import { runTrackPipeline } from "../pipelines/track.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";
import { forecastAccuracy, type SegmentAccuracy, segmentOf } from "./forecast-tracking.ts";
import { realizedPurchases } from "./realized-purchases.ts";

const TRUE_PARAMS: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

function logOf(rows: Array<[string, string]>): TransactionLog {
  const ids = [...new Set(rows.map(([id]) => id))];
  return {
    customerIds: ids,
    customer: Uint32Array.from(rows.map(([id]) => ids.indexOf(id))),
    day: Int32Array.from(rows.map(([, date]) => isoDateToDay(date))),
    amount: new Float64Array(rows.length).fill(10),
    quantity: null,
    length: rows.length,
  };
}

describe("forecastAccuracy", () => {
  test("overall, segment and bin figures equal a direct recomputation", () => {
    const predicted = [0.05, 0.3, 0.9, 1.5, 3.2, 0.0, 6, 0.2, 2.5, 0.7];
    const realized = [0, 1, 0, 2, 5, 0, 4, 0, 3, 1];
    const frequency = [0, 0, 1, 2, 9, 0, 12, 1, 3, 5];
    const acc = forecastAccuracy("m", predicted, realized, frequency);
    // NaN past the end, so a wrong index fails the comparisons below.
    const at = (values: number[], i: number) => values[i] ?? Number.NaN;
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    const idx = predicted.map((_, i) => i);
    const check = (members: number[]) => ({
      customers: members.length,
      mae: mean(members.map((i) => Math.abs(at(predicted, i) - at(realized, i)))),
      bias: mean(members.map((i) => at(predicted, i) - at(realized, i))),
      predicted_mean: mean(members.map((i) => at(predicted, i))),
      realized_mean: mean(members.map((i) => at(realized, i))),
    });
    const pick = (s: SegmentAccuracy) => ({
      customers: s.customers,
      mae: s.mae,
      bias: s.bias,
      predicted_mean: s.predicted_mean,
      realized_mean: s.realized_mean,
    });
    expect(acc.segments.map((s) => s.segment)).toEqual([
      "all",
      "x=0",
      "x=1",
      "x=2-3",
      "x=4-7",
      "x>=8",
    ]);
    for (const segment of acc.segments) {
      const members = idx.filter(
        (i) => segment.segment === "all" || segmentOf(at(frequency, i)) === segment.segment,
      );
      const want = check(members);
      const got = pick(segment);
      for (const key of Object.keys(want) as Array<keyof typeof want>) {
        expect(got[key]).toBeCloseTo(want[key], 12);
      }
    }
    expect(acc.metrics.rmse).toBeCloseTo(
      Math.sqrt(mean(idx.map((i) => (at(predicted, i) - at(realized, i)) ** 2))),
      12,
    );
    expect(acc.metrics.realized_to_predicted).toBeCloseTo(
      realized.reduce((s, x) => s + x) / predicted.reduce((s, x) => s + x),
      12,
    );
    expect(acc.metrics.realized_any_share).toBe(0.6);
    // Bins partition the customers; each customer lies inside its bin's bounds.
    expect(acc.calibration.reduce((s, b) => s + b.customers, 0)).toBe(10);
    let ce = 0;
    for (const bin of acc.calibration) {
      const members = idx.filter(
        (i) => at(predicted, i) >= bin.lower && at(predicted, i) < bin.upper,
      );
      expect(members.length).toBe(bin.customers);
      const want = check(members);
      expect(bin.predicted_mean).toBeCloseTo(want.predicted_mean, 12);
      expect(bin.realized_mean).toBeCloseTo(want.realized_mean, 12);
      ce += (members.length / 10) * Math.abs(want.predicted_mean - want.realized_mean);
    }
    expect(acc.metrics.calibration_error).toBeCloseTo(ce, 12);
  });

  test("bad inputs are refused with the reason", () => {
    expect(() => forecastAccuracy("m", [1], [1, 2], [0])).toThrow(/one value per customer/);
    expect(() => forecastAccuracy("m", [], [], [])).toThrow(/no customers/);
    expect(() => forecastAccuracy("m", [Number.NaN], [0], [0])).toThrow(/invalid forecast/);
    expect(() => segmentOf(-1)).toThrow(/non-negative/);
  });
});

describe("realizedPurchases", () => {
  test("counts purchase days inside (cutoff, end], merges same-day rows, notes new customers", () => {
    const log = logOf([
      ["a", "2020-01-10"], // on the cutoff: before the window
      ["a", "2020-01-11"],
      ["a", "2020-01-11"], // same day: one purchase
      ["a", "2020-01-15"],
      ["b", "2020-01-20"], // on the window end: inside
      ["b", "2020-01-21"], // after the end
      ["new", "2020-01-12"],
    ]);
    const r = realizedPurchases(
      log,
      ["a", "b", "c"],
      isoDateToDay("2020-01-10"),
      isoDateToDay("2020-01-20"),
    );
    expect([...r.realized]).toEqual([2, 1, 0]);
    expect(r.transactionsInWindow).toBe(5);
    expect(r.unknownCustomers).toBe(1);
    expect(() => realizedPurchases(log, ["a"], 10, 10)).toThrow(/must be after/);
  });
});

describe("calibration on a simulated BG/NBD population", () => {
  const population = simulateBgNbd(TRUE_PARAMS, {
    customers: 20_000,
    seed: 7,
    start: "1997-01-01",
    timeUnit: "week",
  });
  const window = population.exact.options;
  const summaries = summarize(population.log, {
    calibrationEnd: window.calibrationEnd,
    ...(window.holdoutEnd ? { holdoutEnd: window.holdoutEnd } : {}),
    timeUnit: "week",
  });
  const realized = realizedPurchases(
    population.log,
    summaries.ids,
    isoDateToDay(window.calibrationEnd),
    isoDateToDay(window.holdoutEnd as string),
  ).realized;

  const track = (params: BgNbdParams, scale = 1) =>
    forecastAccuracy(
      "bgnbd",
      bgnbdExpectedPurchasesBatch(
        params,
        summaries.holdoutLength,
        summaries.x,
        summaries.tx,
        summaries.T,
      ).map((v) => v * scale),
      realized,
      summaries.x,
    );

  test("realized counts equal the summaries' holdout purchases (independent code path)", () => {
    expect([...realized]).toEqual([...summaries.holdoutPurchases]);
  });

  test("the true parameters are calibrated; forecasts 30% too high are not", () => {
    const right = track(TRUE_PARAMS);
    // The data dominate the posterior, so wrong priors barely move the forecasts: a model that
    // over-forecasts by 30% (e.g. a horizon bug) must show in the figures.
    const wrong = track(TRUE_PARAMS, 1.3);
    expect(right.metrics.realized_to_predicted).toBeGreaterThan(0.94);
    expect(right.metrics.realized_to_predicted).toBeLessThan(1.06);
    expect(wrong.metrics.realized_to_predicted).toBeLessThan(0.8);
    expect(wrong.metrics.calibration_error).toBeGreaterThan(2 * right.metrics.calibration_error);
    expect(wrong.metrics.bias).toBeGreaterThan(0);
    // Every populated segment of the true model is unbiased to within 15% of its realized mean.
    for (const s of right.segments) {
      if (s.customers < 500) continue;
      expect(Math.abs(s.bias)).toBeLessThan(0.15 * Math.max(s.realized_mean, 0.2));
    }
  });
});

/** A PGlite registry with version 1 of "sim" (BG/NBD and Pareto/NBD fitted on a simulation). */
interface TrackFixture {
  t: TestDatabase;
  registry: ModelRegistry;
  dir: string;
  /** The simulation's transactions. */
  csv: string;
  calibrationEnd: string;
  holdoutEnd: string;
}

async function trackFixture(): Promise<TrackFixture> {
  const dir = mkdtempSync(join(tmpdir(), "pp-track-"));
  const t = await openTestDatabase("pglite");
  const registry = new ModelRegistry(t.handle.db, new FileArtifactStore(join(dir, "artifacts")));
  const population = simulateBgNbd(TRUE_PARAMS, {
    customers: 3000,
    seed: 11,
    start: "1997-01-01",
    timeUnit: "week",
  });
  const calibrationEnd = population.exact.options.calibrationEnd as string;
  const holdoutEnd = population.exact.options.holdoutEnd as string;
  const s = summarize(population.log, { calibrationEnd, timeUnit: "week" });
  const csv = join(dir, "transactions.csv");
  await writeTransactionsCsv(population.log, csv);
  const rows = Array.from({ length: s.n }, (_, i) => ({
    customerId: s.ids[i] as string,
    summary: { x: s.x[i], t_x: s.tx[i], T: s.T[i] },
    features: [],
  }));
  await registry.registerVersion("sim", {
    artifacts: [{ name: "model.json", bytes: new TextEncoder().encode("{}") }],
    params: {
      bgnbd: fitBgNbd(s).params,
      pareto_nbd: fitParetoNbd(s).params,
      horizon: 39,
    },
    metrics: {},
    dataWindow: { calibrationEnd },
    timeUnit: "week",
    trainedAt: new Date("1997-10-01T00:00:00Z"),
    customerFeatures: rows,
    promote: true,
  });
  return { t, registry, dir, csv, calibrationEnd, holdoutEnd };
}

/** Tracks "sim" twice: one stored row per forecaster, replaced, and shown as metrics. */
async function expectStoredReplacedAndExposed(f: TrackFixture): Promise<void> {
  const lines: string[] = [];
  const run = (trackedAt: Date) =>
    runTrackPipeline({
      registry: f.registry,
      db: f.t.handle.db,
      model: "sim",
      data: f.csv,
      format: "csv",
      windowEnd: f.holdoutEnd,
      out: join(f.dir, "report"),
      trackedAt,
      print: (line) => lines.push(line),
    });
  const first = await run(new Date("1998-07-01T00:00:00Z"));
  expect(first.results.map((r) => r.forecaster)).toEqual(["bgnbd", "pareto_nbd"]);
  expect(first.notes.join(" ")).toContain("no GBDT count model");
  expect(first.windowStart).toBe(f.calibrationEnd);
  expect(first.horizon).toBeCloseTo(
    (isoDateToDay(f.holdoutEnd) - isoDateToDay(f.calibrationEnd)) / 7,
    12,
  );
  // The model was fitted on this population: calibrated in aggregate.
  const bg = first.results[0];
  expect(bg?.metrics.realized_to_predicted).toBeGreaterThan(0.85);
  expect(bg?.metrics.realized_to_predicted).toBeLessThan(1.15);

  await run(new Date("1998-07-02T00:00:00Z"));
  const stored = await f.t.handle.db.select().from(forecastTracking);
  expect(stored.length).toBe(2);
  expect(stored.every((r) => r.trackedAt.toISOString() === "1998-07-02T00:00:00.000Z")).toBe(true);

  const latest = await latestProductionTracking(f.t.handle.db, "sim");
  expect(latest.map((s) => s.forecaster).sort()).toEqual(["bgnbd", "pareto_nbd"]);
  const metrics = new MetricsRegistry();
  trackingGauges(metrics).show(latest);
  const exposed = parseExposition(metrics.expose());
  const labels = { model: "sim", version: "1", forecaster: "bgnbd", segment: "all" };
  expect(sampleValue(exposed, "forecast_realized_mae", labels)).toBeCloseTo(
    bg?.metrics.mae as number,
    9,
  );
  const ratios = exposed.samples.filter((x) => x.name === "forecast_realized_to_predicted_ratio");
  expect(ratios.map((x) => x.labels.forecaster).sort()).toEqual(["bgnbd", "pareto_nbd"]);

  const report = JSON.parse(readFileSync(join(f.dir, "report", "tracking.json"), "utf8"));
  expect(report.results.length).toBe(2);
  expect(readFileSync(join(f.dir, "report", "tracking.html"), "utf8")).toContain("<svg");
}

describe("ml track pipeline (PGlite)", () => {
  let fixture: TrackFixture | undefined;
  const f = (): TrackFixture => {
    if (!fixture) throw new Error("the fixture did not open");
    return fixture;
  };

  beforeAll(async () => {
    fixture = await trackFixture();
  }, 120_000);

  afterAll(async () => {
    await fixture?.t.cleanup();
    if (fixture) rmSync(fixture.dir, { recursive: true, force: true });
  });

  test(
    "stores one row per forecaster, replaces it on re-tracking, and exposes it as metrics",
    () => expectStoredReplacedAndExposed(f()),
    60_000,
  );

  // A window to 2027 over a log ending in 1998 measured the forecast at 0.07 of itself, and was
  // stored for the gauges (9999-12-31 failed inside the formulas).
  test("a --window-end in the future is refused; one past the log's end is said", async () => {
    const lines: string[] = [];
    const run = (windowEnd: string, today: string) =>
      runTrackPipeline({
        registry: f().registry,
        db: f().t.handle.db,
        model: "sim",
        data: f().csv,
        format: "csv",
        windowEnd,
        trackedAt: new Date(`${today}T00:00:00Z`),
        print: (line) => lines.push(line),
      });
    for (const future of ["1998-07-02", "9999-12-31"]) {
      await expect(run(future, "1998-07-01")).rejects.toThrow(
        `--window-end ${future} is in the future (today is 1998-07-01)`,
      );
    }
    const late = dayToIsoDate(isoDateToDay(f().holdoutEnd) + 30);
    await run(late, "1999-01-01");
    expect(lines.join("\n")).toMatch(
      new RegExp(`note: --data's last purchase is \\S+, \\d+ days before --window-end ${late}`),
    );
  }, 60_000);

  test("the poller the forecast service runs shows the production version's latest results", async () => {
    const metrics = new MetricsRegistry();
    const errors: unknown[] = [];
    const poller = pollTrackingMetrics({
      db: f().t.handle.db,
      metrics,
      modelName: "sim",
      intervalMs: 0,
      onError: (e) => errors.push(e),
    });
    expect(await poller.refresh()).toBe(2);
    poller.stop();
    const exposed = parseExposition(metrics.expose());
    const customers = sampleValue(exposed, "forecast_realized_customers", {
      forecaster: "pareto_nbd",
      segment: "all",
    });
    expect(customers).toBeGreaterThan(1000);
    // An unknown model shows nothing (and is not an error).
    const other = pollTrackingMetrics({
      db: f().t.handle.db,
      metrics,
      modelName: "nope",
      intervalMs: 0,
    });
    expect(await other.refresh()).toBe(0);
    expect(
      parseExposition(metrics.expose()).samples.some((x) =>
        x.name.startsWith("forecast_realized_"),
      ),
    ).toBe(false);
    expect(errors).toEqual([]);
  }, 30_000);

  test("a window that ends on or before the cutoff, or an unknown version, is refused by name", async () => {
    const { registry, t, csv, calibrationEnd } = f();
    const base = { registry, db: t.handle.db, model: "sim", data: csv, format: "csv" as const };
    await expect(
      runTrackPipeline({ ...base, windowEnd: calibrationEnd, print: () => {} }),
    ).rejects.toThrow(/--window-end .* is not after the cutoff/);
    await expect(runTrackPipeline({ ...base, version: 9, print: () => {} })).rejects.toThrow(
      /--version: "sim" has no version 9/,
    );
  }, 30_000);
});

test("ml track: a missing option is a one-line error with exit code 2", async () => {
  const errors: string[] = [];
  const original = { error: console.error, write: process.stderr.write };
  console.error = (line: string) => errors.push(String(line));
  // commander prints its own errors straight to stderr.
  process.stderr.write = ((chunk: string) =>
    errors.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    expect(await runCli(["track", "--model", "purchase"])).toBe(2);
    expect(
      await runCli(["track", "--model", "m", "--data", "x.csv", "--window-end", "1998-13-01"]),
    ).toBe(2);
  } finally {
    console.error = original.error;
    process.stderr.write = original.write;
  }
  expect(errors.join("\n")).toContain("--data");
  expect(errors.join("\n")).toContain("1998-13-01");
});

describe("CDNOW sample", () => {
  const path = cdnowSampleOrWarn("ml track on CDNOW (realized = holdout summaries)");
  test.skipIf(path === null)(
    "realized purchases after 1997-09-30 equal the holdout summaries; BG/NBD under-forecasts by 5-25%",
    async () => {
      const { log } = await readCdnowLog(path as string);
      const s = summarize(log, {
        calibrationEnd: "1997-09-30",
        holdoutEnd: "1998-06-30",
        timeUnit: "week",
      });
      const params = fitBgNbd(s).params;
      const realized = realizedPurchases(
        log,
        s.ids,
        isoDateToDay("1997-09-30"),
        isoDateToDay("1998-06-30"),
      ).realized;
      expect([...realized]).toEqual([...s.holdoutPurchases]);
      const acc = forecastAccuracy(
        "bgnbd",
        bgnbdExpectedPurchasesBatch(params, 39, s.x, s.tx, s.T),
        realized,
        s.x,
      );
      expect(acc.customers).toBe(2357);
      // The day-merged sample repeats more after the cutoff than the stationary BG/NBD expects.
      expect(acc.metrics.realized_to_predicted).toBeGreaterThan(1.05);
      expect(acc.metrics.realized_to_predicted).toBeLessThan(1.25);
    },
    30_000,
  );
});
