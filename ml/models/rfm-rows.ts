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
  /** Total weight (number of customers). */
  customers: number;
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
  const seen = new Map<number, number>();
  const xValuesList: number[] = [];
  const xIndex = new Uint32Array(n);
  let customers = 0;
  for (let i = 0; i < n; i++) {
    let k = seen.get(x[i]);
    if (k === undefined) {
      k = xValuesList.length;
      seen.set(x[i], k);
      xValuesList.push(x[i]);
    }
    xIndex[i] = k;
    customers += weight[i];
  }
  return { x, tx, T, weight, n, xValues: Float64Array.from(xValuesList), xIndex, customers };
}
