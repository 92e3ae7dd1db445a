// Standard errors of maximum-likelihood estimates from the observed information: the Hessian of
// the negative log-likelihood at the optimum (by central differences), inverted by Cholesky.

/** Hessian of f at x by central second differences (row-major n×n). */
export function numericalHessian(
  f: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  step = 1e-4,
): Float64Array {
  const n = x0.length;
  const x = Float64Array.from(x0);
  const H = new Float64Array(n * n);
  const f0 = f(x);
  const at = (i: number, di: number, j: number, dj: number): number => {
    const xi = x[i]!;
    const xj = x[j]!;
    x[i]! += di;
    x[j]! += dj;
    const v = f(x);
    x[i] = xi;
    x[j] = xj;
    return v;
  };
  for (let i = 0; i < n; i++) {
    const hi = step * Math.max(1, Math.abs(x[i]!));
    H[i * n + i] = (at(i, hi, i, 0) - 2 * f0 + at(i, -hi, i, 0)) / (hi * hi);
    for (let j = 0; j < i; j++) {
      const hj = step * Math.max(1, Math.abs(x[j]!));
      const v =
        (at(i, hi, j, hj) - at(i, hi, j, -hj) - at(i, -hi, j, hj) + at(i, -hi, j, -hj)) /
        (4 * hi * hj);
      H[i * n + j] = v;
      H[j * n + i] = v;
    }
  }
  return H;
}

/** Inverse of a symmetric positive-definite matrix by Cholesky; null when it is not positive definite. */
export function invertSymmetricPositiveDefinite(H: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = H[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        L[i * n + i] = Math.sqrt(sum);
      } else {
        L[i * n + j] = sum / L[j * n + j]!;
      }
    }
  }
  // Invert L (lower triangular), then H^-1 = L^-T L^-1.
  const Li = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    Li[i * n + i] = 1 / L[i * n + i]!;
    for (let j = 0; j < i; j++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= L[i * n + k]! * Li[k * n + j]!;
      Li[i * n + j] = sum / L[i * n + i]!;
    }
  }
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = Math.max(i, j); k < n; k++) sum += Li[k * n + i]! * Li[k * n + j]!;
      inverse[i * n + j] = sum;
    }
  }
  return inverse;
}

/**
 * Below this share of the largest curvature, a log-parameter's own curvature counts as none: the
 * likelihood is flat along it, so the data do not identify it (a dropout pair when the log shows
 * no dropout, a shape held at its limit). Identified ones are far above it: on CDNOW the smallest
 * share is about 0.05.
 */
const FLAT_CURVATURE_SHARE = 1e-3;

export interface InformationInverse {
  /** n×n; the rows and columns of `flat` parameters are zero. */
  inverse: Float64Array;
  /** Parameters along which the likelihood is flat (their uncertainty is unbounded). */
  flat: number[];
}

/**
 * The inverse of the observed information H (n×n, row-major). When the likelihood is flat along
 * some parameters (positive definite or not), the inverse over the others: their uncertainty is
 * still well defined. Null when H is not positive definite otherwise (a saddle, or a ridge between
 * parameters that are each curved).
 */
export function invertInformation(H: Float64Array, n: number): InformationInverse | null {
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, H[i * n + i]!);
  const isFlat = (i: number) => Math.abs(H[i * n + i]!) <= FLAT_CURVATURE_SHARE * largest;
  const flat = [...Array(n).keys()].filter(isFlat);
  const kept = [...Array(n).keys()].filter((i) => !isFlat(i));
  if (flat.length === 0) {
    const whole = invertSymmetricPositiveDefinite(H, n);
    return whole ? { inverse: whole, flat: [] } : null;
  }
  // Flat ones are held even when H is positive definite: rounding can leave a flat direction's
  // curvature a hair above 0 (Pareto/NBD's s and beta at 1e-8 of r's, a log without dropout), and
  // the whole inverse then gave them log-variances of 2e4: draws of s from e^(±150).
  if (kept.length === 0) return null;
  const part = invertSymmetricPositiveDefinite(submatrix(H, n, kept), kept.length);
  return part ? { inverse: embedded(part, kept, n), flat } : null;
}

/** Rows and columns `indices` of the n×n matrix M (row-major), as an m×m matrix. */
function submatrix(M: ArrayLike<number>, n: number, indices: readonly number[]) {
  const m = indices.length;
  const out = new Float64Array(m * m);
  indices.forEach((i, a) => {
    indices.forEach((j, b) => {
      out[a * m + b] = M[i * n + j]!;
    });
  });
  return out;
}

/** The m×m matrix `part` at rows and columns `indices` of an n×n matrix of zeros. */
export function embedded(part: ArrayLike<number>, indices: readonly number[], n: number) {
  const m = indices.length;
  const out = new Float64Array(n * n);
  indices.forEach((i, a) => {
    indices.forEach((j, b) => {
      out[i * n + j] = part[a * m + b]!;
    });
  });
  return out;
}

/**
 * Standard errors of the parameters exp(θ) when θ = log-parameters minimise the negative
 * log-likelihood f: sqrt of the diagonal of the inverse Hessian in θ, times exp(θ) (delta method).
 * Infinity for a parameter along which the likelihood is flat (see invertInformation); NaN
 * entries when the Hessian is not positive definite otherwise (not at a proper optimum).
 * `held` coordinates (a shape the fit held at SHAPE_LIMIT) are not estimated: the Hessian is taken
 * over the others and theirs is 0, as the intervals' covariance does (parameter-uncertainty.ts).
 * Taken over all, the ridge towards the limit made every parameter's information singular.
 */
export function logParameterStandardErrors(
  negLogLikelihood: (theta: Float64Array) => number,
  theta: ArrayLike<number>,
  held: readonly number[] = [],
): Float64Array {
  const { free, inverted } = informationOnFree(negLogLikelihood, theta, held);
  const m = free.length;
  const se = new Float64Array(theta.length);
  free.forEach((i, k) => {
    if (!inverted) se[i] = Number.NaN;
    else if (inverted.flat.includes(k)) se[i] = Number.POSITIVE_INFINITY;
    else se[i] = Math.exp(theta[i]!) * Math.sqrt(inverted.inverse[k * m + k]!);
  });
  return se;
}

/**
 * invertInformation of f's Hessian over the coordinates of θ not `held` (shapes a fit held at
 * SHAPE_LIMIT, kept where it put them): `free` lists them, and the inverse is m×m over them (row k
 * for free[k]). Null when none is free or the Hessian is not positive definite there.
 */
export function informationOnFree(
  f: (theta: Float64Array) => number,
  theta: ArrayLike<number>,
  held: readonly number[],
): { free: number[]; inverted: InformationInverse | null } {
  const free = [...Array(theta.length).keys()].filter((i) => !held.includes(i));
  if (free.length === 0) return { free, inverted: null };
  const full = Float64Array.from(theta);
  const onFree = (t: Float64Array) => {
    free.forEach((i, k) => {
      full[i] = t[k]!;
    });
    return f(full);
  };
  const point = free.map((i) => theta[i]!);
  return { free, inverted: invertInformation(numericalHessian(onFree, point), free.length) };
}
