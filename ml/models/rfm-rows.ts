// Prepares (x, t_x, T) data for the likelihood loops: validates it, groups identical rows with
// weights, and indexes the distinct x values so that per-x terms (log-gammas, digammas) are
// computed once per evaluation instead of once per customer.

import { groupSummaries } from "../training/group-summaries.ts";
import { assertRfmData, type RfmData } from "./types.ts";

export interface RfmRows {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  n: number;
  /** Distinct x values, and for each row the index of its x among them. */
  xValues: Float64Array;
  xIndex: Uint32Array;
  /**
   * Distinct t_x and T values and each row's index among them: on a day grid there are only a few
   * hundred, so a likelihood needs one log(alpha + t) per distinct value, not per row.
   */
  txValues: Float64Array;
  txIndex: Uint32Array;
  TValues: Float64Array;
  TIndex: Uint32Array;
  /** Total weight (number of customers). */
  customers: number;
}

/** The distinct values of a column and, per row, the index of its value among them. */
function indexDistinct(values: Float64Array): { distinct: Float64Array; index: Uint32Array } {
  const seen = new Map<number, number>();
  const distinct: number[] = [];
  const index = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let k = seen.get(v);
    if (k === undefined) {
      k = distinct.length;
      seen.set(v, k);
      distinct.push(v);
    }
    index[i] = k;
  }
  return { distinct: Float64Array.from(distinct), index };
}

/** Validates, optionally groups, and indexes the x values of a data set. */
export function prepareRfmRows(data: RfmData, group = true): RfmRows {
  const n0 = assertRfmData(data);
  let x = data.x;
  let tx = data.tx;
  let T = data.T;
  let weight = data.weight ?? new Float64Array(n0).fill(1);
  if (group) {
    const g = groupSummaries(data.x, data.tx, data.T, data.weight);
    x = g.x;
    tx = g.tx;
    T = g.T;
    weight = g.weight;
  }
  const n = x.length;
  let customers = 0;
  for (let i = 0; i < n; i++) customers += weight[i]!;
  const xs = indexDistinct(x);
  const txs = indexDistinct(tx);
  const Ts = indexDistinct(T);
  return {
    x,
    tx,
    T,
    weight,
    n,
    xValues: xs.distinct,
    xIndex: xs.index,
    txValues: txs.distinct,
    txIndex: txs.index,
    TValues: Ts.distinct,
    TIndex: Ts.index,
    customers,
  };
}
