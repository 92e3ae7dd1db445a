// A checked element read for code outside hot loops: an index the caller knows is in range, where
// a bug should throw at once rather than let `undefined` turn into NaN further on.

/** xs[i], or a RangeError when i is outside 0..xs.length−1. */
export function at<T>(xs: ArrayLike<T>, i: number): T {
  const v = xs[i];
  if (v === undefined) throw new RangeError(`index ${i} outside 0..${xs.length - 1}`);
  return v;
}
