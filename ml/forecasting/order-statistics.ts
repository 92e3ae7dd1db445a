// Order statistics of a sample without sorting it: the spend intervals need 2 ranks per level out
// of 500 draws per customer and model, and a selection finds them in about half a sort's time.

/**
 * Rearranges `values` so that values[r] is its r-th smallest (0-based) for every r in `ranks`
 * (ascending, each in [0, values.length)), as after a sort; other positions are left in any order.
 * A sample holding NaN is sorted instead (a sort puts NaN last; a selection's comparisons cannot).
 */
export function selectRanks(values: Float64Array, ranks: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i]!)) {
      values.sort();
      return;
    }
  }
  selectIn(values, 0, values.length, ranks, 0, ranks.length);
}

/** Places ranks[rlo..rhi) (all inside [lo, hi)) by Hoare partitions around a median of three. */
function selectIn(
  a: Float64Array,
  lo: number,
  hi: number,
  ranks: readonly number[],
  rlo: number,
  rhi: number,
): void {
  while (rlo < rhi) {
    if (hi - lo <= 16) {
      insertionSort(a, lo, hi);
      return;
    }
    const pivot = medianOfThree(a[lo]!, a[(lo + hi) >>> 1]!, a[hi - 1]!);
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi), and any position between j and i holds the pivot.
    let below = rlo;
    while (below < rhi && ranks[below]! <= j) below++;
    let above = below;
    while (above < rhi && ranks[above]! < i) above++;
    if (rlo < below) selectIn(a, lo, j + 1, ranks, rlo, below);
    lo = i;
    rlo = above;
  }
}

function medianOfThree(x: number, y: number, z: number): number {
  if (x < y) return y < z ? y : Math.max(x, z);
  return x < z ? x : Math.max(y, z);
}

function insertionSort(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}
