// The Gauss hypergeometric function 2F1(a, b; c; z) for real arguments and z < 1, summed as its
// power series with a tail-bound convergence check. Pareto/NBD's likelihood, P(alive) and the
// BG/NBD expectations need it.
//
// Where its accuracy ends (measured in hypergeometric.test.ts against closed forms):
// - 0 <= z < 1: direct series; z < 0 is first mapped by Pfaff's transformation
//   2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)), so the series runs at 0 <= w < 1 with
//   w = |z|/(1+|z|) (no alternating signs from z, and faster convergence).
// - The series converges geometrically at rate |z|: about 35/(1-|z|) terms for 1e-15. With the
//   default cap of 200,000 terms, z closer to 1 than ~2e-4 is reported as not converged (we do not
//   implement the 1-z connection formulas, which are degenerate when c-a-b is an integer).
// - z = 1 exactly is not handled (throws), nor c a non-positive integer (a pole).
// - When terms alternate in sign (negative a, b or c-b after the mapping), cancellation costs
//   relative accuracy of about 1e-16 · max|term| / |sum|; `errorEstimate` reports that bound and
//   `hyp2f1` throws when it exceeds 1e-8. Measured: |error| ~1e-15 for z <= 0.9 and ~1e-14 at
//   z = 0.99 (thousands of terms) on the closed forms of the tests.
// - For large a, b with z near 1 the sum can exceed the double range (about 1e308): it overflows
//   to Infinity and is reported as not converged.

export interface Hyp2f1Result {
  value: number;
  /** Terms summed. */
  iterations: number;
  converged: boolean;
  /** Bound on the relative error: truncation tail plus rounding from cancellation. */
  errorEstimate: number;
}

export interface Hyp2f1Options {
  /** Relative tolerance on the tail (default 1e-15). */
  tolerance?: number;
  /** Maximum number of series terms (default 200,000). */
  maxIterations?: number;
}

export class Hyp2f1ConvergenceError extends Error {
  constructor(
    readonly a: number,
    readonly b: number,
    readonly c: number,
    readonly z: number,
    readonly result: Hyp2f1Result,
  ) {
    super(
      `hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge after ${result.iterations} terms ` +
        `to 8 digits (value ${result.value}, relative error estimate ${result.errorEstimate})`,
    );
    this.name = "Hyp2f1ConvergenceError";
  }
}

const EPSILON = 2.220446049250313e-16;

/** The raw power series Σ (a)_n (b)_n / ((c)_n n!) z^n, for |z| < 1. */
function hyp2f1Series(
  a: number,
  b: number,
  c: number,
  z: number,
  options: Hyp2f1Options = {},
): Hyp2f1Result {
  const tolerance = options.tolerance ?? 1e-15;
  const maxIterations = options.maxIterations ?? 200_000;
  if (Number.isInteger(c) && c <= 0) throw new RangeError(`hyp2f1: c = ${c} is a pole`);
  if (!(Math.abs(z) < 1)) throw new RangeError(`hyp2f1 series needs |z| < 1, got z = ${z}`);
  let term = 1;
  let sum = 1;
  let maxTerm = 1;
  const absZ = Math.abs(z);
  // Terms can only vanish for good (a terminating series) or shrink steadily once n is past the
  // negative parameters, so the tail bound is trusted only from there on.
  const settled = Math.max(0, -Math.min(a, b)) + 1;
  for (let n = 0; n < maxIterations; n++) {
    const ratio = ((a + n) * (b + n)) / ((c + n) * (n + 1));
    term *= ratio * z;
    sum += term;
    const absTerm = Math.abs(term);
    if (absTerm > maxTerm) maxTerm = absTerm;
    if (term === 0) {
      return { value: sum, iterations: n + 1, converged: true, errorEstimate: roundingError() };
    }
    if (!Number.isFinite(sum)) break;
    if (n + 1 >= settled) {
      // Ratios tend to |z|; bound the tail by a geometric series at the larger of the two.
      const rho = Math.max(Math.abs(ratio * z), absZ);
      if (rho < 1) {
        const tail = (absTerm * rho) / (1 - rho);
        if (tail <= tolerance * Math.abs(sum)) {
          return {
            value: sum,
            iterations: n + 1,
            converged: true,
            errorEstimate: tail / Math.abs(sum) + roundingError(),
          };
        }
      }
    }
  }
  return { value: sum, iterations: maxIterations, converged: false, errorEstimate: Infinity };

  function roundingError(): number {
    return (EPSILON * maxTerm) / Math.abs(sum);
  }
}

/**
 * The series value only, without allocating a report: NaN when it does not converge. For the
 * likelihood loops, which call it hundreds of thousands of times per evaluation.
 */
export function hyp2f1Value(a: number, b: number, c: number, z: number, tolerance = 1e-15): number {
  if (z === 0) return 1;
  if (!(z < 1) || (Number.isInteger(c) && c <= 0)) return Number.NaN;
  let scale = 1;
  if (z < 0) {
    scale = (1 - z) ** -a;
    b = c - b;
    z = z / (z - 1);
  }
  const absZ = Math.abs(z);
  const settled = Math.max(0, -Math.min(a, b)) + 1;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 200_000; n++) {
    const ratio = ((a + n) * (b + n)) / ((c + n) * (n + 1));
    term *= ratio * z;
    sum += term;
    if (term === 0) return scale * sum;
    if (n + 1 >= settled) {
      const rho = Math.max(Math.abs(ratio * z), absZ);
      if (rho < 1 && (Math.abs(term) * rho) / (1 - rho) <= tolerance * Math.abs(sum)) {
        return scale * sum;
      }
    }
    if (!Number.isFinite(sum)) return Number.NaN;
  }
  return Number.NaN;
}

/** 2F1(a, b; c; z) with a convergence report, for z < 1 (Pfaff-mapped for z < 0). */
export function hyp2f1WithReport(
  a: number,
  b: number,
  c: number,
  z: number,
  options: Hyp2f1Options = {},
): Hyp2f1Result {
  if (!(z < 1)) throw new RangeError(`hyp2f1 is implemented for z < 1, got z = ${z}`);
  if (z === 0) return { value: 1, iterations: 0, converged: true, errorEstimate: 0 };
  if (z < 0) {
    const w = z / (z - 1);
    const inner = hyp2f1Series(a, c - b, c, w, options);
    return { ...inner, value: (1 - z) ** -a * inner.value };
  }
  return hyp2f1Series(a, b, c, z, options);
}

/**
 * 2F1(a, b; c; z) for z < 1; throws Hyp2f1ConvergenceError when the series does not converge or
 * cancellation leaves fewer than 8 correct digits.
 */
export function hyp2f1(
  a: number,
  b: number,
  c: number,
  z: number,
  options?: Hyp2f1Options,
): number {
  const result = hyp2f1WithReport(a, b, c, z, options);
  if (!result.converged || !(result.errorEstimate <= 1e-8)) {
    throw new Hyp2f1ConvergenceError(a, b, c, z, result);
  }
  return result.value;
}

/** Series terms past which the Pareto/NBD and BG/NBD forms integrate instead of summing. */
const LONG_SERIES_TERMS = 2_000;

/**
 * Whether a series whose terms go as (b)_n z^n / n! (each model's 2F1 at z) is long: its terms
 * grow while n < (b z − 1)/(1 − z), then shrink at rate z, about (b z + 40)/(1 − z) in all to
 * 1e-15. Also true for z that is not below 1 (the series does not converge there), and when its
 * sum, (1 − z)^−b, passes e^600: shorter than the limit, it still overflowed (BG/NBD with a =
 * 3,283 and b at 1e6, z = 0.25: about 1,100 terms, sum e^920; every forecast was NaN).
 */
export function seriesIsLong(b: number, z: number): boolean {
  if (!(z < 1) || (b * z + 40) / (1 - z) > LONG_SERIES_TERMS) return true;
  // −ln(1 − z) ≤ z/(1 − z) for z < 1, so with b > 0 the log is needed only past that bound
  // (this test runs for every customer's series; the log was most of its time).
  return (b <= 0 || (b * z) / (1 - z) > 600) && -b * Math.log1p(-z) > 600;
}
