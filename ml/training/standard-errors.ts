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
 * Standard errors of the parameters exp(θ) when θ = log-parameters minimise the negative
 * log-likelihood f: sqrt of the diagonal of the inverse Hessian in θ, times exp(θ) (delta method).
 * NaN entries when the Hessian is not positive definite (not at a proper optimum).
 */
export function logParameterStandardErrors(
  negLogLikelihood: (theta: Float64Array) => number,
  theta: ArrayLike<number>,
): Float64Array {
  const n = theta.length;
  const inverse = invertSymmetricPositiveDefinite(numericalHessian(negLogLikelihood, theta), n);
  const se = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    se[i] = inverse ? Math.exp(theta[i]!) * Math.sqrt(inverse[i * n + i]!) : Number.NaN;
  }
  return se;
}
