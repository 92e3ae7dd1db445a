// `ml simulate`: writes a demo transaction CSV drawn from a BG/NBD or Pareto/NBD population with
// CDNOW-like parameters (overridable) and Gamma-Gamma spend.

import type { TimeUnit } from "../features/customer-summaries.ts";
import { simulateBgNbd } from "../sim/bgnbd-simulator.ts";
import { simulateParetoNbd } from "../sim/pareto-nbd-simulator.ts";
import type { SimulatedPopulation } from "../sim/purchase-process.ts";
import { writeTransactionsCsv } from "../sim/transactions-csv-writer.ts";

export type SimulatedModel = "bgnbd" | "pareto";

/** Published CDNOW fits (weekly rates), the default populations. */
export const CDNOW_LIKE_PARAMS = {
  bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
  pareto: { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 },
} as const;

export interface SimulateOptions {
  model: SimulatedModel;
  customers: number;
  seed: number;
  /** First acquisition date (default 1997-01-01, as CDNOW). */
  start?: string;
  timeUnit?: TimeUnit;
  /** Overrides of the model's parameters, e.g. { r: 0.3 }. */
  params?: Record<string, number>;
}

/** Parses `r=0.3,alpha=5` into numbers; names must belong to the model. */
export function parseParamOverrides(text: string, model: SimulatedModel): Record<string, number> {
  const allowed = Object.keys(CDNOW_LIKE_PARAMS[model]);
  const out: Record<string, number> = {};
  for (const part of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!name || !allowed.includes(name)) {
      throw new RangeError(
        `--params: unknown parameter "${name}" for ${model} (expected ${allowed.join(", ")})`,
      );
    }
    const v = Number(value);
    if (!(Number.isFinite(v) && v > 0)) {
      throw new RangeError(
        `--params: ${name} must be a positive number, got ${JSON.stringify(value)}`,
      );
    }
    const earlier = out[name];
    if (earlier !== undefined) {
      throw new RangeError(
        `--params: ${name} is given twice (${earlier} and ${v}): give each parameter once`,
      );
    }
    out[name] = v;
  }
  return out;
}

export function simulatePopulation(options: SimulateOptions): SimulatedPopulation {
  if (!Number.isInteger(options.customers) || options.customers < 1) {
    throw new RangeError(`--customers: must be a positive integer, got ${options.customers}`);
  }
  const sim = {
    customers: options.customers,
    seed: options.seed,
    start: options.start ?? "1997-01-01",
    timeUnit: options.timeUnit ?? "week",
  };
  if (options.model === "bgnbd") {
    return simulateBgNbd({ ...CDNOW_LIKE_PARAMS.bgnbd, ...options.params }, sim);
  }
  if (options.model === "pareto") {
    return simulateParetoNbd({ ...CDNOW_LIKE_PARAMS.pareto, ...options.params }, sim);
  }
  throw new RangeError(`--model: expected bgnbd or pareto, got ${JSON.stringify(options.model)}`);
}

/** Simulates and writes the CSV; returns the rows written and the population. */
export async function runSimulate(
  options: SimulateOptions & { out: string },
): Promise<{ rows: number; population: SimulatedPopulation }> {
  const population = simulatePopulation(options);
  const rows = await writeTransactionsCsv(population.log, options.out);
  return { rows, population };
}
