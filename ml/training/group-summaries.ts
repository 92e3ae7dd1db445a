// Collapses customers with identical (x, t_x, T) into one row with a weight, so that a likelihood
// is evaluated once per distinct history: on a day grid this shrinks millions of customers to a
// few hundred thousand rows. Hash-based on the exact doubles, typed arrays throughout.

export interface GroupedSummaries {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** Number of customers (or summed input weights) behind each distinct row. */
  weight: Float64Array;
  /** Distinct rows. */
  n: number;
  /** For each input customer, the index of its row. */
  rowOfCustomer: Uint32Array;
}

const EMPTY = 0xffffffff;

/**
 * Groups identical (x, t_x, T) triples (compared as exact doubles, -0 equal to 0). Rows keep the
 * order of their first occurrence. `weight` (optional) gives each input customer's weight.
 */
export function groupSummaries(
  x: Float64Array,
  tx: Float64Array,
  T: Float64Array,
  weight?: Float64Array,
): GroupedSummaries {
  const n = x.length;
  let capacity = 16;
  while (capacity < 2 * n) capacity *= 2;
  const mask = capacity - 1;
  const slots = new Uint32Array(capacity).fill(EMPTY);
  const gx = new Float64Array(n);
  const gtx = new Float64Array(n);
  const gT = new Float64Array(n);
  const gw = new Float64Array(n);
  const rowOfCustomer = new Uint32Array(n);
  // View each double as two 32-bit words to hash its exact bit pattern.
  const scratch = new Float64Array(3);
  const words = new Uint32Array(scratch.buffer);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]! + 0; // + 0 turns -0 into 0
    const txi = tx[i]! + 0;
    const Ti = T[i]! + 0;
    scratch[0] = xi;
    scratch[1] = txi;
    scratch[2] = Ti;
    let h = 0x811c9dc5;
    for (let k = 0; k < 6; k++) {
      h = Math.imul(h ^ words[k]!, 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
    h ^= h >>> 16;
    let slot = h & mask;
    for (;;) {
      const row = slots[slot]!;
      if (row === EMPTY) {
        slots[slot] = rows;
        gx[rows] = xi;
        gtx[rows] = txi;
        gT[rows] = Ti;
        gw[rows] = weight ? weight[i]! : 1;
        rowOfCustomer[i] = rows;
        rows++;
        break;
      }
      if (gx[row] === xi && gtx[row] === txi && gT[row] === Ti) {
        gw[row]! += weight ? weight[i]! : 1;
        rowOfCustomer[i] = row;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return {
    x: gx.slice(0, rows),
    tx: gtx.slice(0, rows),
    T: gT.slice(0, rows),
    weight: gw.slice(0, rows),
    n: rows,
    rowOfCustomer,
  };
}
