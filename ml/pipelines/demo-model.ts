// The demo model: when no production version of the model exists, simulate a CDNOW-like BG/NBD
// population (with Gamma-Gamma spend), train every model on it with fast settings, then register
// and promote it, so a fresh forecast service has something to serve within seconds.

import type { Logger } from "@pp/shared/logging/logger.ts";
import type { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { summarize } from "../features/summaries.ts";
import { renderReportHtml } from "../report/report-html.ts";
import { CDNOW_SPEND } from "../sim/purchase-process.ts";
import { buildBundle } from "./build-bundle.ts";
import { registerBundle } from "./register-bundle.ts";
import { CDNOW_LIKE_PARAMS, simulatePopulation } from "./simulate.ts";
import { createStepLog } from "./step-log.ts";
import { type TrainModelsOptions, trainModels } from "./train-models.ts";

export interface EnsureDemoModelOptions {
  registry: ModelRegistry;
  modelName: string;
  log?: Pick<Logger, "info" | "warn">;
  customers?: number;
  seed?: number;
}

export interface DemoModelResult {
  /** True when this call trained and registered the demo model. */
  created: boolean;
  version: number;
  seconds: number;
}

/**
 * The demo recipe's data and fit: a simulated CDNOW-like BG/NBD population in weeks, its summaries
 * at the simulated calibration end, and every model trained on it with fast settings.
 */
export async function trainSimulatedDemo(
  options: { customers: number; seed: number; source: string } & Omit<
    TrainModelsOptions,
    "fast" | "seed"
  >,
) {
  const { customers, seed, source, ...trainOptions } = options;
  const population = simulatePopulation({ model: "bgnbd", customers, seed, timeUnit: "week" });
  const window = population.exact.options;
  const summaries = summarize(population.log, {
    calibrationEnd: window.calibrationEnd,
    ...(window.holdoutEnd ? { holdoutEnd: window.holdoutEnd } : {}),
    timeUnit: "week",
  });
  const trained = await trainModels(
    { log: population.log, summaries, source, format: "simulated" },
    { ...trainOptions, fast: true, seed },
  );
  return { log: population.log, summaries, trained };
}

/** The demo recipe's population when none is given. */
const DEMO_CUSTOMERS = 5000;
const DEMO_SEED = 42;

/** The demo model trained and its report rendered, not yet registered anywhere. */
export type TrainedDemoModel = Awaited<ReturnType<typeof trainDemoModel>>;

/**
 * Trains the demo recipe on `customers` simulated customers (default DEMO_CUSTOMERS, seed
 * DEMO_SEED): the part of ensureDemoModel that needs no registry, so a test seeding several stores
 * trains once.
 */
export async function trainDemoModel(options: { customers?: number; seed?: number } = {}) {
  const customers = options.customers ?? DEMO_CUSTOMERS;
  const seed = options.seed ?? DEMO_SEED;
  const source = `simulated BG/NBD demo (${customers} customers, seed ${seed}, r=${CDNOW_LIKE_PARAMS.bgnbd.r}, spend p=${CDNOW_SPEND.p})`;
  const { summaries, trained } = await trainSimulatedDemo({
    customers,
    seed,
    source,
    folds: 3,
    steps: createStepLog({ write: null }),
  });
  trained.metrics.notes.push("DEMO model trained on simulated data");
  const reportHtml = await renderReportHtml({
    ...trained.report,
    title: "purchase-prediction: DEMO model (simulated data)",
  });
  return { customers, seed, summaries, trained, reportHtml };
}

/** Registers a trained demo model as `modelName`'s new production version. */
export async function registerDemoModel(
  registry: ModelRegistry,
  modelName: string,
  demo: TrainedDemoModel,
) {
  const { summaries, trained, reportHtml } = demo;
  const trainedAt = new Date();
  const bundle = buildBundle(trained, { name: modelName, trainedAt, reportHtml });
  return registerBundle({
    registry,
    name: modelName,
    bundle,
    trained,
    summaries,
    trainedAt,
    promote: true,
  });
}

export async function ensureDemoModel(options: EnsureDemoModelOptions): Promise<DemoModelResult> {
  const started = performance.now();
  const { registry, modelName } = options;
  const existing = await registry.getProductionVersion(modelName);
  if (existing) {
    options.log?.info("model has a production version; no demo model needed", {
      model: modelName,
      version: existing.version,
    });
    return { created: false, version: existing.version, seconds: 0 };
  }
  options.log?.warn("no production model: training a DEMO model on simulated data", {
    model: modelName,
    simulated_customers: options.customers ?? DEMO_CUSTOMERS,
    population: "BG/NBD with CDNOW-like parameters, Gamma-Gamma spend",
    seed: options.seed ?? DEMO_SEED,
  });
  const demo = await trainDemoModel({ customers: options.customers, seed: options.seed });
  const version = await registerDemoModel(registry, modelName, demo);
  const seconds = (performance.now() - started) / 1000;
  options.log?.info("demo model registered and promoted", {
    model: modelName,
    version: version.version,
    customers: demo.summaries.n,
    recommended: demo.trained.recommended,
    seconds: Number(seconds.toFixed(2)),
  });
  return { created: true, version: version.version, seconds };
}
