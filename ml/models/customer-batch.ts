// The batch form shared by the per-customer predictions: fills a Float64Array customer by customer
// and, when one customer's input is bad, names its index in the ModelInputError.

import { ModelInputError } from "./types.ts";

/** The error to throw for customer i: a ModelInputError gains the index, anything else passes. */
export function atCustomer(error: unknown, i: number): unknown {
  return error instanceof ModelInputError
    ? new ModelInputError(error.field, error.problem, i)
    : error;
}

/**
 * result[i] = value(x[i], tx[i], T[i]) over columns of one length. A plain loop, so each
 * element costs one call, as in the per-model loops it replaced.
 */
export function mapRfmCustomers(
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  value: (x: number, tx: number, T: number) => number,
  out?: Float64Array,
): Float64Array {
  const n = x.length;
  if (tx.length !== n || T.length !== n)
    throw new ModelInputError("data", "x, tx and T lengths differ");
  const result = out ?? new Float64Array(n);
  for (let i = 0; i < n; i++) {
    try {
      result[i] = value(x[i]!, tx[i]!, T[i]!);
    } catch (e) {
      throw atCustomer(e, i);
    }
  }
  return result;
}
