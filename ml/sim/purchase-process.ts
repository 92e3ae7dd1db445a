// The simulation loop shared by the BG/NBD and Pareto/NBD simulators: acquisition dates, the
// Poisson purchase stream, dropout, Gamma-Gamma spend, and both outputs (the exact continuous-time
// summaries and a day-resolution transaction log). Runtime-neutral.

import { dayToIsoDate, isoDateToDay, type TransactionLog } from "../data/transaction-log.ts";
import { TransactionLogBuilder } from "../data/transaction-log-builder.ts";
import type { CustomerSummaries, TimeUnit } from "../features/customer-summaries.ts";
import { unitDays } from "../features/summaries.ts";
import { Xoshiro128 } from "../random/seeded-random.ts";
import { sampleExponential, sampleGamma } from "./samplers.ts";

/** Gamma-Gamma spend: per-customer rate nu ~ Gamma(q, gamma); each amount ~ Gamma(p, nu). */
export interface GammaGammaSpend {
  p: number;
  q: number;
  gamma: number;
}

/** Published Gamma-Gamma fit on the CDNOW sample: the default spend of simulated customers. */
export const CDNOW_SPEND: GammaGammaSpend = { p: 6.25, q: 3.74, gamma: 15.44 };

export interface SimulationOptions {
  customers: number;
  seed: number;
  /** First possible first-purchase date, `YYYY-MM-DD`. */
  start: string;
  /**
   * First purchases fall uniformly on the whole days [start, start + acquisitionDays); default 84
   * (the 12 weeks of CDNOW). Use 1 to give every customer the same T.
   */
  acquisitionDays?: number;
  /** Inclusive calibration end; default start + 272 days (39 weeks, as 1997-01-01 → 1997-09-30). */
  calibrationEnd?: string;
  /** Inclusive holdout end; default calibrationEnd + as many days as the calibration period. */
  holdoutEnd?: string;
  /** The unit the rate parameters (alpha, beta) refer to, and of the exact summaries. */
  timeUnit: TimeUnit;
  /** Spend model for amounts; default CDNOW_SPEND. Amounts are rounded to cents. */
  spend?: GammaGammaSpend;
}

export interface SimulatedPopulation {
  /**
   * Exact continuous-time summaries of the calibration window (no same-day merging): x counts
   * every repeat purchase, t_x and T in timeUnit; monetary is the mean repeat amount; holdout
   * purchases are counted the same way. The fitters' parameter-recovery tests use these.
   */
  exact: CustomerSummaries;
  /**
   * The same purchases at day resolution, calibration and holdout. A customer's first purchase is
   * at the end of day f (time 0); a purchase at time t (in days) is dated f + ceil(t), so a
   * purchase is in the calibration period of `exact` exactly when its date is in that of the log.
   */
  log: TransactionLog;
  /** Per customer: the latent purchase rate, the dropout parameter (p or mu) and the spend rate nu. */
  latent: { lambda: Float64Array; dropout: Float64Array; nu: Float64Array };
}

/** How one model draws a customer's dropout parameter and decides when the customer is gone. */
export interface DropoutProcess {
  /** Draws the customer's dropout parameter (p for BG/NBD, mu for Pareto/NBD). */
  draw(rng: Xoshiro128): number;
  /** Time of death in timeUnit for Pareto-type lifetimes (Infinity when death is per purchase). */
  lifetime(rng: Xoshiro128, parameter: number): number;
  /** Whether the customer drops out right after a repeat purchase (BG/NBD coin flip). */
  diesAfterPurchase(rng: Xoshiro128, parameter: number): boolean;
}

export function requirePositive(values: Record<string, number>, what: string): void {
  for (const [name, v] of Object.entries(values)) {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${what}.${name}: expected a positive finite number, got ${v}`);
    }
  }
}

function dayOption(name: string, value: string): number {
  const day = isoDateToDay(value);
  if (Number.isNaN(day))
    throw new RangeError(`${name}: not a YYYY-MM-DD date: ${JSON.stringify(value)}`);
  return day;
}

/** Simulates a population whose purchases are Poisson(lambda), lambda ~ Gamma(r, alpha). */
export function simulatePurchaseProcess(
  purchase: { r: number; alpha: number },
  dropout: DropoutProcess,
  options: SimulationOptions,
): SimulatedPopulation {
  const n = options.customers;
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`customers: expected a non-negative integer, got ${n}`);
  }
  const window = simulationWindow(options);
  const { startDay, acquisitionDays, calibrationEnd, holdoutEnd, unit } = window;
  const spend = options.spend ?? CDNOW_SPEND;
  requirePositive({ ...spend }, "spend");

  const rng = new Xoshiro128(options.seed);
  const builder = new TransactionLogBuilder({ withQuantity: false, initialCapacity: 4 * n + 16 });
  const out = populationColumns(n);
  const { ids, x, tx, T, monetary, firstSpend, firstDay, holdoutPurchases, holdoutSpend } = out;
  const { lambda: lambdas, dropout: dropouts, nu: nus } = out;
  const { r, alpha } = purchase;
  const { p: spendShape, q, gamma } = spend;

  // One customer at a time, in this order of random draws: first-purchase day, latent rate,
  // dropout, spend rate, first amount, then each purchase in turn.
  for (let k = 0; k < n; k++) {
    const id = String(k + 1);
    ids[k] = id;
    const customer = builder.customerNumber(id);
    const f = startDay + Math.floor(rng.uniform() * acquisitionDays);
    const calibrationDays = calibrationEnd - f;
    const horizonDays = holdoutEnd - f;
    const lambda = sampleGamma(rng, r, alpha);
    const parameter = dropout.draw(rng);
    const death = dropout.lifetime(rng, parameter);
    const nu = sampleGamma(rng, q, gamma);
    lambdas[k] = lambda;
    dropouts[k] = parameter;
    nus[k] = nu;

    const amount0 = Math.round(sampleGamma(rng, spendShape, nu) * 100) / 100;
    builder.push(customer, f, amount0);
    let t = 0;
    let repeats = 0;
    let last = 0;
    let repeatSpend = 0;
    let holdout = 0;
    let holdoutTotal = 0;
    for (;;) {
      t += sampleExponential(rng, lambda);
      if (t > death) break;
      const tDays = t * unit;
      if (!(tDays <= horizonDays)) break; // also ends an infinite t from lambda = 0
      const amount = Math.round(sampleGamma(rng, spendShape, nu) * 100) / 100;
      builder.push(customer, f + Math.ceil(tDays), amount);
      if (tDays <= calibrationDays) {
        repeats++;
        last = t;
        repeatSpend += amount;
      } else {
        holdout++;
        holdoutTotal += amount;
      }
      if (dropout.diesAfterPurchase(rng, parameter)) break;
    }
    x[k] = repeats;
    tx[k] = last;
    T[k] = calibrationDays / unit;
    monetary[k] = repeats > 0 ? repeatSpend / repeats : 0;
    firstSpend[k] = amount0;
    firstDay[k] = f;
    holdoutPurchases[k] = holdout;
    holdoutSpend[k] = holdoutTotal;
  }
  const exact = exactSummaries(out, window, options.timeUnit);
  return { exact, log: builder.finish(), latent: { lambda: lambdas, dropout: dropouts, nu: nus } };
}

/** The exact (continuous-time) summaries of the simulated calibration window. */
function exactSummaries(
  out: PopulationColumns,
  { calibrationEnd, holdoutEnd, unit }: SimulationWindow,
  timeUnit: TimeUnit,
): CustomerSummaries {
  return {
    ids: out.ids,
    n: out.ids.length,
    x: out.x,
    tx: out.tx,
    T: out.T,
    monetary: out.monetary,
    firstSpend: out.firstSpend,
    firstDay: out.firstDay,
    holdoutPurchases: out.holdoutPurchases,
    holdoutSpend: out.holdoutSpend,
    holdoutLength: (holdoutEnd - calibrationEnd) / unit,
    excludedAfterCalibration: 0,
    options: {
      calibrationEnd: dayToIsoDate(calibrationEnd),
      holdoutEnd: dayToIsoDate(holdoutEnd),
      timeUnit,
    },
  };
}

/** The simulation's days (checked): acquisition, calibration end, holdout end; and its time unit. */
interface SimulationWindow {
  startDay: number;
  acquisitionDays: number;
  calibrationEnd: number;
  holdoutEnd: number;
  /** Days per time unit. */
  unit: number;
}

function simulationWindow(options: SimulationOptions): SimulationWindow {
  const unit = unitDays(options.timeUnit);
  const startDay = dayOption("start", options.start);
  const acquisitionDays = options.acquisitionDays ?? 84;
  if (!(Number.isInteger(acquisitionDays) && acquisitionDays >= 1)) {
    throw new RangeError(`acquisitionDays: expected a positive integer, got ${acquisitionDays}`);
  }
  const calibrationEnd =
    options.calibrationEnd === undefined
      ? startDay + 272
      : dayOption("calibrationEnd", options.calibrationEnd);
  if (calibrationEnd < startDay + acquisitionDays - 1) {
    throw new RangeError("calibrationEnd: must not be before the last acquisition day");
  }
  const holdoutEnd =
    options.holdoutEnd === undefined
      ? calibrationEnd + (calibrationEnd - startDay + 1)
      : dayOption("holdoutEnd", options.holdoutEnd);
  if (holdoutEnd < calibrationEnd) throw new RangeError("holdoutEnd: before calibrationEnd");
  return { startDay, acquisitionDays, calibrationEnd, holdoutEnd, unit };
}

/** Per-customer outputs of the simulation, one slot per customer. */
interface PopulationColumns {
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  monetary: Float64Array;
  firstSpend: Float64Array;
  firstDay: Int32Array;
  holdoutPurchases: Float64Array;
  holdoutSpend: Float64Array;
  lambda: Float64Array;
  dropout: Float64Array;
  nu: Float64Array;
}

function populationColumns(n: number): PopulationColumns {
  return {
    ids: new Array(n),
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    firstSpend: new Float64Array(n),
    firstDay: new Int32Array(n),
    holdoutPurchases: new Float64Array(n),
    holdoutSpend: new Float64Array(n),
    lambda: new Float64Array(n),
    dropout: new Float64Array(n),
    nu: new Float64Array(n),
  };
}
