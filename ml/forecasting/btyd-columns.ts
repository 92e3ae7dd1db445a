// The BTYD columns of a batch: BG/NBD and Pareto/NBD forecasts (the ml/models formulas), their
// discounted purchases (CLV before spend) over the discounting grid, and Gamma-Gamma's spend.
// Stored customers' values come from, and go to, the stored-answer cache.
import {
  bgnbdExpectedPurchasesGivenPAlive,
  bgnbdProbabilityAlive,
  bgnbdProbabilityOfPurchaseGivenPAlive,
} from "../models/bgnbd.ts";
import { BgNbdExpectationCurve, type GridPoints } from "../models/bgnbd-expectation-curve.ts";
import { type GammaGammaParams, gammaGammaExpectedSpend } from "../models/gamma-gamma.ts";
import { paretoNbdAliveAndPurchase } from "../models/pareto-nbd.ts";
import {
  paretoNbdExpectationPrefactor,
  paretoNbdExpectationTail,
  paretoNbdExpectationTails,
} from "../models/pareto-nbd-tail.ts";
import { type DiscountGrid, discountedSum } from "./discount-grid.ts";
import type { ForecastBatchInput, ForecastModel } from "./forecast-inputs.ts";
import { emptyColumns, type ModelColumns, nanColumn } from "./model-columns.ts";
import {
  type BtydTargets,
  readStored,
  type StoredBtydCache,
  writeStored,
} from "./stored-btyd-cache.ts";

export interface BtydColumns {
  bg: ModelColumns;
  pn: ModelColumns;
  /** Discounted expected purchases (CLV before spend); BG/NBD's is reused for GBDT. */
  bgDiscounted: Float64Array;
  pnDiscounted: Float64Array;
  /** Gamma-Gamma expected spend per purchase (NaN without a spend model). */
  meanSpend: Float64Array;
}

/** Per loaded model: its curve (with its per-x coefficient cache) and grid scratch per grid size. */
interface ModelState {
  curve: BgNbdExpectationCurve;
  scratch: Map<number, Scratch>;
}

const states = new WeakMap<ForecastModel, ModelState>();

function stateOf(model: ForecastModel): ModelState {
  let state = states.get(model);
  if (!state) {
    state = { curve: new BgNbdExpectationCurve(model.bgnbd), scratch: new Map() };
    states.set(model, state);
  }
  return state;
}

/**
 * The scratch rows for grids of K times, shared by the calls on this model: btydColumns is
 * synchronous and a forecaster recomputes its grid terms before reading them, so sharing is safe.
 */
function scratchFor(state: ModelState, K: number): Scratch {
  let scratch = state.scratch.get(K);
  if (!scratch) {
    if (state.scratch.size >= 16) state.scratch.clear();
    scratch = scratchOf(K);
    state.scratch.set(K, scratch);
  }
  return scratch;
}

/** Customers without an error, sorted by (T, x, t_x): equal summaries end up side by side. */
function visitOrder(batch: ForecastBatchInput): Int32Array {
  const { n, x, tx, T, errors } = batch;
  let m = 0;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) if (!errors[i]) order[m++] = i;
  const used = m === n ? order : order.subarray(0, m);
  if (m < 2) return used;
  used.sort((i, j) => T[i]! - T[j]! || x[i]! - x[j]! || tx[i]! - tx[j]! || i - j);
  return used;
}

/** The cached fields in the stored-answer table's order (BTYD_FIELDS of them). */
function targetsOf(out: BtydColumns): BtydTargets {
  const { bg, pn } = out;
  return [
    bg.expectedPurchases,
    bg.pAlive,
    bg.pPurchase,
    out.bgDiscounted,
    pn.expectedPurchases,
    pn.pAlive,
    pn.pPurchase,
    out.pnDiscounted,
  ];
}

/**
 * Scratch rows of K values (one per grid time), and which (grid times, T) and x they hold: they
 * outlive a call, so a request whose customer has the T (and x) of the previous one reuses them.
 */
interface Scratch {
  /** The grid times, T and x the rows were computed for (NaN: not yet, or being rewritten). */
  times: Float64Array | null;
  pointsT: number;
  shapeX: number;
  points: GridPoints;
  pnTail: Float64Array;
  shape: Float64Array;
  bgCurve: Float64Array;
  pnCurve: Float64Array;
}

function scratchOf(K: number): Scratch {
  return {
    times: null,
    pointsT: Number.NaN,
    shapeX: Number.NaN,
    points: { z: new Float64Array(K), first: new Float64Array(K), power: new Float64Array(K) },
    pnTail: new Float64Array(K),
    shape: new Float64Array(K),
    bgCurve: new Float64Array(K),
    pnCurve: new Float64Array(K),
  };
}

/**
 * Computes one customer's BTYD values at a time. Customers come in (T, x, t_x) order, so the grid
 * terms that depend on T only (BG/NBD's z and powers, Pareto/NBD's tail per step) are computed
 * once per T, and BG/NBD's series once per (x, T). Computing in another order changes no value.
 */
class BtydRowForecaster {
  // Taken on the first customer not answered from the cache.
  private scratch: Scratch | null = null;

  private readonly curve: BgNbdExpectationCurve;

  constructor(
    private readonly model: ForecastModel,
    private readonly state: ModelState,
    private readonly grid: DiscountGrid,
    private readonly horizon: number,
    private readonly out: BtydColumns,
  ) {
    this.curve = state.curve;
  }

  /** Writes customer i's values; throws for a summary the formulas cannot handle. */
  forecast(i: number, xi: number, txi: number, Ti: number): void {
    const { model, horizon, out } = this;
    const { bg, pn } = out;
    const { bgnbd, paretoNbd } = model;
    // P(alive) once: the expectation, P(purchase) and the CLV curve each scale by it.
    const bgAlive = bgnbdProbabilityAlive(bgnbd, xi, txi, Ti);
    bg.expectedPurchases[i] = bgnbdExpectedPurchasesGivenPAlive(bgnbd, horizon, xi, Ti, bgAlive);
    bg.pAlive[i] = bgAlive;
    bg.pPurchase[i] = bgnbdProbabilityOfPurchaseGivenPAlive(bgnbd, horizon, xi, Ti, bgAlive);
    this.scratch ??= scratchFor(this.state, this.grid.times.length);
    const { pnTail, shape, bgCurve, pnCurve } = this.scratch;
    this.prepareGrid(xi, Ti, this.scratch);
    this.curve.scaleByPAlive(xi, bgAlive, shape, bgCurve);
    out.bgDiscounted[i] = discountedSum(bgCurve, this.grid.weights);

    const pnAlivePurchase = paretoNbdAliveAndPurchase(paretoNbd, horizon, xi, txi, Ti);
    const alive = pnAlivePurchase.pAlive;
    // E(t) = P(alive) · prefactor · tail(t): P(alive) (two 2F1 series) once per customer, not
    // once per discounting step.
    const prefactor = paretoNbdExpectationPrefactor(paretoNbd, xi, Ti);
    pn.expectedPurchases[i] =
      alive * (prefactor * paretoNbdExpectationTail(paretoNbd, horizon, Ti));
    pn.pAlive[i] = alive;
    pn.pPurchase[i] = pnAlivePurchase.pPurchase;
    const K = pnCurve.length;
    for (let k = 0; k < K; k++) pnCurve[k] = alive * (prefactor * pnTail[k]!);
    out.pnDiscounted[i] = discountedSum(pnCurve, this.grid.weights);
  }

  /** The grid terms for T (when T changed) and BG/NBD's shape for (x, T) (when x or T changed). */
  private prepareGrid(xi: number, Ti: number, scratch: Scratch): void {
    const { points, pnTail, shape } = scratch;
    const { times } = this.grid;
    const { paretoNbd } = this.model;
    if (!(scratch.pointsT === Ti && scratch.times === times)) {
      // Marked unknown first: a throw below leaves nothing half-written looking valid.
      scratch.pointsT = Number.NaN;
      scratch.shapeX = Number.NaN;
      scratch.times = times;
      this.curve.gridPoints(Ti, times, points);
      paretoNbdExpectationTails(paretoNbd, times, Ti, pnTail);
      scratch.pointsT = Ti;
    }
    if (!(scratch.shapeX === xi)) {
      scratch.shapeX = Number.NaN;
      this.curve.shapeOnGrid(xi, points, shape);
      scratch.shapeX = xi;
    }
  }
}

/** Spend per purchase, expected spend and CLV of customer i from its BTYD values. */
function addSpend(
  gammaGamma: GammaGammaParams,
  out: BtydColumns,
  i: number,
  xi: number,
  mi: number,
): void {
  const { bg, pn } = out;
  // Without a known mean spend, Gamma-Gamma's population mean (its x = 0 case) applies.
  const spend = Number.isNaN(mi)
    ? gammaGammaExpectedSpend(gammaGamma, 0, 0)
    : gammaGammaExpectedSpend(gammaGamma, xi, mi);
  out.meanSpend[i] = spend;
  bg.expectedSpend[i] = bg.expectedPurchases[i]! * spend;
  bg.clv[i] = out.bgDiscounted[i]! * spend;
  pn.expectedSpend[i] = pn.expectedPurchases[i]! * spend;
  pn.clv[i] = out.pnDiscounted[i]! * spend;
}

/** A summary the formulas cannot handle (e.g. a series that does not converge) fails alone. */
function markInvalid(
  batch: ForecastBatchInput,
  targets: BtydTargets,
  i: number,
  error: unknown,
): void {
  batch.errors[i] = {
    code: "invalid_customer",
    message: `customer ${JSON.stringify(batch.ids[i])}: ${error instanceof Error ? error.message : String(error)}`,
  };
  for (const target of targets) target[i] = Number.NaN;
}

/**
 * The BTYD columns of the batch at `horizon`, discounted over `grid`. Customers with the same
 * (x, t_x, T) are neighbours in the visit order and copy the previous forecasts.
 */
export function btydColumns(
  model: ForecastModel,
  batch: ForecastBatchInput,
  horizon: number,
  grid: DiscountGrid,
  cache: StoredBtydCache | null,
): BtydColumns {
  const { n, x, tx, T, monetary, storedRow } = batch;
  const out: BtydColumns = {
    bg: emptyColumns(n),
    pn: emptyColumns(n),
    bgDiscounted: nanColumn(n),
    pnDiscounted: nanColumn(n),
    meanSpend: nanColumn(n),
  };
  const targets = targetsOf(out);
  const forecaster = new BtydRowForecaster(model, stateOf(model), grid, horizon, out);
  const { gammaGamma } = model;
  const order = visitOrder(batch);
  let previous = -1;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    const xi = x[i]!;
    const txi = tx[i]!;
    const Ti = T[i]!;
    const row = storedRow[i]!;
    if (cache && row >= 0 && cache.done[row] === 1) {
      readStored(cache, row, targets, i);
    } else {
      if (previous >= 0 && x[previous] === xi && tx[previous] === txi && T[previous] === Ti) {
        for (const target of targets) target[i] = target[previous]!;
      } else {
        try {
          forecaster.forecast(i, xi, txi, Ti);
          previous = i;
        } catch (error) {
          markInvalid(batch, targets, i, error);
          previous = -1;
          continue;
        }
      }
      if (cache && row >= 0) writeStored(cache, row, targets, i);
    }
    if (gammaGamma) addSpend(gammaGamma, out, i, xi, monetary[i]!);
  }
  return out;
}
