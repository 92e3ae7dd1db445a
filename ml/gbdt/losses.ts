// The boosting losses: per-row gradient and hessian of the loss in the margin (raw score), the
// link back to the response scale, the constant starting margin and a mean loss for monitoring.

import type { GbdtLoss } from "./gbdt-model.ts";

export interface BoostingLoss {
  name: GbdtLoss;
  /** Throws a RangeError naming the first bad target value. */
  validateTarget(y: Float64Array): void;
  /** Best constant margin. */
  baseScore(y: Float64Array): number;
  /** Writes gradient and hessian of every row at the current margins. */
  gradients(y: Float64Array, margin: Float64Array, grad: Float64Array, hess: Float64Array): void;
  /** Mean loss (deviance for poisson/gamma, log loss, squared error) at the given margins. */
  meanLoss(y: Float64Array, margin: Float64Array): number;
  /**
   * meanLoss and gradients at the same margins in one pass, sharing the link's exp: the same
   * numbers as calling both (boosting needs both after each round).
   */
  meanLossAndGradients(
    y: Float64Array,
    margin: Float64Array,
    grad: Float64Array,
    hess: Float64Array,
  ): number;
  /** Margin to response scale: mean for poisson/gamma/squared, probability for logistic. */
  toResponse(margin: number): number;
}

const MIN_HESSIAN = 1e-16;

function checkEach(y: Float64Array, ok: (v: number) => boolean, what: string): void {
  for (let i = 0; i < y.length; i++) {
    if (!ok(y[i]!)) throw new RangeError(`y[${i}] = ${y[i]}: ${what}`);
  }
}

function mean(y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]!;
  return y.length > 0 ? s / y.length : 0;
}

export const poissonLoss: BoostingLoss = {
  name: "poisson",
  validateTarget: (y) =>
    checkEach(y, (v) => Number.isFinite(v) && v >= 0, "poisson needs finite counts >= 0"),
  baseScore: (y) => Math.log(Math.max(mean(y), 1e-6)),
  gradients(y, margin, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      const mu = Math.exp(margin[i]!);
      grad[i] = mu - y[i]!;
      hess[i] = Math.max(mu, MIN_HESSIAN);
    }
  },
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const mu = Math.exp(margin[i]!);
      const v = y[i]!;
      s += 2 * ((v > 0 ? v * Math.log(v / mu) : 0) - (v - mu));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const mu = Math.exp(margin[i]!);
      const v = y[i]!;
      s += 2 * ((v > 0 ? v * Math.log(v / mu) : 0) - (v - mu));
      grad[i] = mu - v;
      hess[i] = Math.max(mu, MIN_HESSIAN);
    }
    return s / y.length;
  },
  toResponse: (m) => Math.exp(m),
};

export const logisticLoss: BoostingLoss = {
  name: "logistic",
  validateTarget: (y) => checkEach(y, (v) => v >= 0 && v <= 1, "logistic needs labels in [0, 1]"),
  baseScore(y) {
    const p = Math.min(Math.max(mean(y), 1e-6), 1 - 1e-6);
    return Math.log(p / (1 - p));
  },
  gradients(y, margin, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      grad[i] = p - y[i]!;
      const h = p * (1 - p);
      hess[i] = Math.max(h, MIN_HESSIAN);
    }
  },
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const m = margin[i]!;
      // log(1 + e^m) - y·m, computed without overflow.
      const softplus = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
      s += softplus - y[i]! * m;
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const m = margin[i]!;
      // exp(-m) serves both the probability and, for m > 0, the softplus.
      const e = Math.exp(-m);
      const softplus = m > 0 ? m + Math.log1p(e) : Math.log1p(Math.exp(m));
      s += softplus - y[i]! * m;
      const p = 1 / (1 + e);
      grad[i] = p - y[i]!;
      hess[i] = Math.max(p * (1 - p), MIN_HESSIAN);
    }
    return s / y.length;
  },
  toResponse: (m) => 1 / (1 + Math.exp(-m)),
};

export const squaredLoss: BoostingLoss = {
  name: "squared",
  validateTarget: (y) => checkEach(y, Number.isFinite, "squared error needs finite targets"),
  baseScore: (y) => mean(y),
  gradients(y, margin, grad, hess) {
    for (let i = 0; i < y.length; i++) {
      grad[i] = margin[i]! - y[i]!;
      hess[i] = 1;
    }
  },
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (y[i]! - margin[i]!) ** 2;
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      s += (y[i]! - margin[i]!) ** 2;
      grad[i] = margin[i]! - y[i]!;
      hess[i] = 1;
    }
    return s / y.length;
  },
  toResponse: (m) => m,
};

export const gammaLoss: BoostingLoss = {
  name: "gamma",
  validateTarget: (y) =>
    checkEach(y, (v) => Number.isFinite(v) && v > 0, "gamma needs finite targets > 0"),
  baseScore: (y) => Math.log(mean(y)),
  gradients(y, margin, grad, hess) {
    // Deviance in the log link: y/mu + log(mu); gradient 1 - y/mu, hessian y/mu.
    for (let i = 0; i < y.length; i++) {
      const r = y[i]! * Math.exp(-margin[i]!);
      grad[i] = 1 - r;
      hess[i] = Math.max(r, MIN_HESSIAN);
    }
  },
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = y[i]! * Math.exp(-margin[i]!);
      s += 2 * (r - 1 - Math.log(r));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = y[i]! * Math.exp(-margin[i]!);
      s += 2 * (r - 1 - Math.log(r));
      grad[i] = 1 - r;
      hess[i] = Math.max(r, MIN_HESSIAN);
    }
    return s / y.length;
  },
  toResponse: (m) => Math.exp(m),
};

export function boostingLoss(name: GbdtLoss): BoostingLoss {
  switch (name) {
    case "poisson":
      return poissonLoss;
    case "logistic":
      return logisticLoss;
    case "squared":
      return squaredLoss;
    case "gamma":
      return gammaLoss;
    default:
      throw new RangeError(`loss must be poisson, logistic, squared or gamma, got ${String(name)}`);
  }
}
