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

/**
 * One loss's per-row math, the one place its formulas live: `link` gives the value u that the
 * other three share, so the link's exp is computed once per row for loss, gradient and hessian.
 */
interface RowMath {
  link(m: number, y: number): number;
  /** The row's loss term at margin m. */
  term(y: number, m: number, u: number): number;
  grad(y: number, u: number): number;
  /** The hessian, floored at MIN_HESSIAN. */
  hess(u: number): number;
}

/** gradients() through a loss's RowMath: run once per fit, so one loop serves every loss. */
function passes(math: RowMath): Pick<BoostingLoss, "gradients"> {
  // One object shape for every loss, so the shared loop's property loads stay monomorphic.
  const row = { link: math.link, grad: math.grad, hess: math.hess };
  return {
    gradients(y, margin, grad, hess) {
      for (let i = 0; i < y.length; i++) {
        const v = y[i]!;
        const u = row.link(margin[i]!, v);
        grad[i] = row.grad(v, u);
        hess[i] = row.hess(u);
      }
    },
  };
}

/**
 * The two passes boosting runs every round, written out per loss over its own RowMath: one loop
 * shared by the losses made each row-math call polymorphic (training fits poisson, logistic and
 * gamma in one process), so the engine stopped inlining them (CDNOW ml train: ~9% more CPU).
 */
type RoundPasses = Pick<BoostingLoss, "meanLoss" | "meanLossAndGradients">;

const expOf = (m: number) => Math.exp(m);
const expNeg = (m: number) => Math.exp(-m);

/** Poisson deviance in the log link; u is the mean mu. */
const poissonRow: RowMath = {
  link: expOf,
  term: (y, _m, mu) => 2 * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu)),
  grad: (y, mu) => mu - y,
  hess: (mu) => Math.max(mu, MIN_HESSIAN),
};

/** poisson's per-round passes (see RoundPasses). */
const poissonRoundPasses: RoundPasses = {
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      s += poissonRow.term(v, m, poissonRow.link(m, v));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      const u = poissonRow.link(m, v);
      s += poissonRow.term(v, m, u);
      grad[i] = poissonRow.grad(v, u);
      hess[i] = poissonRow.hess(u);
    }
    return s / y.length;
  },
};

const poissonLoss: BoostingLoss = {
  name: "poisson",
  validateTarget: (y) =>
    checkEach(y, (v) => Number.isFinite(v) && v >= 0, "poisson needs finite counts >= 0"),
  baseScore: (y) => Math.log(Math.max(mean(y), 1e-6)),
  ...passes(poissonRow),
  ...poissonRoundPasses,
  toResponse: expOf,
};

/** The probability from e = exp(-m). */
const sigmoidOfExpNeg = (e: number) => 1 / (1 + e);

// The u that meanLoss alone needs: for m <= 0 the term uses exp(m), not u, so exp(-m) is skipped.
const logisticTermLink = (m: number) => (m > 0 ? expNeg(m) : Number.NaN);

/** Log loss; u is exp(-m), which serves both the probability and, for m > 0, the softplus. */
const logisticRow: RowMath = {
  link: expNeg,
  // log(1 + e^m) - y·m, computed without overflow.
  term: (y, m, e) => (m > 0 ? m + Math.log1p(e) : Math.log1p(Math.exp(m))) - y * m,
  grad: (y, e) => sigmoidOfExpNeg(e) - y,
  hess(e) {
    const p = sigmoidOfExpNeg(e);
    return Math.max(p * (1 - p), MIN_HESSIAN);
  },
};

/** logistic's per-round passes (see RoundPasses). */
const logisticRoundPasses: RoundPasses = {
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      s += logisticRow.term(v, m, logisticTermLink(m));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      const u = logisticRow.link(m, v);
      s += logisticRow.term(v, m, u);
      grad[i] = logisticRow.grad(v, u);
      hess[i] = logisticRow.hess(u);
    }
    return s / y.length;
  },
};

const logisticLoss: BoostingLoss = {
  name: "logistic",
  validateTarget: (y) => checkEach(y, (v) => v >= 0 && v <= 1, "logistic needs labels in [0, 1]"),
  baseScore(y) {
    const p = Math.min(Math.max(mean(y), 1e-6), 1 - 1e-6);
    return Math.log(p / (1 - p));
  },
  ...passes(logisticRow),
  ...logisticRoundPasses,
  toResponse: (m) => sigmoidOfExpNeg(expNeg(m)),
};

/** Squared error; u is the margin itself. */
const squaredRow: RowMath = {
  link: (m) => m,
  term: (y, m) => (y - m) ** 2,
  grad: (y, m) => m - y,
  hess: () => 1,
};

/** squared's per-round passes (see RoundPasses). */
const squaredRoundPasses: RoundPasses = {
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      s += squaredRow.term(v, m, squaredRow.link(m, v));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      const u = squaredRow.link(m, v);
      s += squaredRow.term(v, m, u);
      grad[i] = squaredRow.grad(v, u);
      hess[i] = squaredRow.hess(u);
    }
    return s / y.length;
  },
};

const squaredLoss: BoostingLoss = {
  name: "squared",
  validateTarget: (y) => checkEach(y, Number.isFinite, "squared error needs finite targets"),
  baseScore: (y) => mean(y),
  ...passes(squaredRow),
  ...squaredRoundPasses,
  toResponse: (m) => m,
};

/** Gamma deviance in the log link, y/mu + log(mu); u is r = y/mu: gradient 1 - r, hessian r. */
const gammaRow: RowMath = {
  link: (m, y) => y * expNeg(m),
  term: (_y, _m, r) => 2 * (r - 1 - Math.log(r)),
  grad: (_y, r) => 1 - r,
  hess: (r) => Math.max(r, MIN_HESSIAN),
};

/** gamma's per-round passes (see RoundPasses). */
const gammaRoundPasses: RoundPasses = {
  meanLoss(y, margin) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      s += gammaRow.term(v, m, gammaRow.link(m, v));
    }
    return s / y.length;
  },
  meanLossAndGradients(y, margin, grad, hess) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      const m = margin[i]!;
      const u = gammaRow.link(m, v);
      s += gammaRow.term(v, m, u);
      grad[i] = gammaRow.grad(v, u);
      hess[i] = gammaRow.hess(u);
    }
    return s / y.length;
  },
};

const gammaLoss: BoostingLoss = {
  name: "gamma",
  validateTarget: (y) =>
    checkEach(y, (v) => Number.isFinite(v) && v > 0, "gamma needs finite targets > 0"),
  baseScore: (y) => Math.log(mean(y)),
  ...passes(gammaRow),
  ...gammaRoundPasses,
  toResponse: expOf,
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
