// Unconstrained minimisers for maximum-likelihood fitting on log-parameters: BFGS (analytic or
// central-difference gradients) for speed, Nelder-Mead as the gradient-free fallback, and a
// multi-start driver that keeps the best optimum and says whether the starts agree.

import { at } from "./checked-index.ts";
import { invertSymmetricPositiveDefinite } from "./standard-errors.ts";

/** An objective to minimise; when `gradient` is given it must be filled with ∂f/∂x. */
export type Objective = (x: Float64Array, gradient?: Float64Array) => number;

export interface OptimizeResult {
  x: Float64Array;
  value: number;
  /** Gradient at x (central differences when the objective has none). */
  gradient: Float64Array;
  gradientNorm: number;
  converged: boolean;
  iterations: number;
  evaluations: number;
  method: "bfgs" | "nelder-mead";
  /**
   * BFGS stopped because every shorter step along a descent direction left the region where the
   * objective is finite: the optimum lies beyond the edge of that region (e.g. a likelihood still
   * rising towards a boundary of the parameter space). Nelder-Mead would only crawl along it.
   */
  atDomainEdge?: boolean;
  /**
   * A coordinate is held at its `upperBounds` entry: the objective was still falling beyond it
   * (towards a limit no finite point reaches, such as a homogeneous population). `converged` is
   * then about the other coordinates; `gradient` is the whole one.
   */
  atUpperBound?: boolean;
}

/**
 * A cap on likelihood evaluations and wall-clock time shared by every start of a fit, so a fit on
 * a pathological data set stops (not converged, with the reason) instead of running for hours.
 * Once spent, every further evaluation returns +Infinity without calling the objective.
 */
export interface EvaluationBudget {
  maxEvaluations: number;
  /** performance.now() after which no more evaluations are made. */
  deadline: number;
  evaluations: number;
  exhausted: false | "evaluations" | "time";
}

export function createEvaluationBudget(
  maxEvaluations = Number.POSITIVE_INFINITY,
  maxSeconds = Number.POSITIVE_INFINITY,
): EvaluationBudget {
  return {
    maxEvaluations,
    deadline: performance.now() + maxSeconds * 1000,
    evaluations: 0,
    exhausted: false,
  };
}

function spend(budget: EvaluationBudget | undefined): boolean {
  if (!budget) return true;
  if (budget.exhausted) return false;
  if (budget.evaluations >= budget.maxEvaluations) budget.exhausted = "evaluations";
  else if (performance.now() > budget.deadline) budget.exhausted = "time";
  else budget.evaluations++;
  return !budget.exhausted;
}

/**
 * Convergence of a maximum-likelihood fit, in log-likelihood units: stop when a Newton step would
 * improve the log-likelihood by less than this (see BfgsOptions.decrementTolerance).
 */
export const LIKELIHOOD_DECREMENT_TOLERANCE = 1e-7;

export interface BfgsOptions {
  maxIterations?: number;
  /** Stop when the max-norm of the gradient is below this (default 1e-6). */
  gradientTolerance?: number;
  /** The objective fills gradients itself (default false: central differences). */
  analyticGradient?: boolean;
  /** Longest step allowed in x per iteration (default 4: a factor e^4 on a log-parameter). */
  maxStep?: number;
  /**
   * Also stop (converged) when the quasi-Newton decrement gᵀH⁻¹g, the improvement a full Newton
   * step would still bring, is below this (default 0: off). For a negative log-likelihood that is
   * in likelihood units, so it means the same for any n: 1e-7 leaves the estimate ~5e-4 standard
   * errors from the optimum (the model fits use that). Needed for large n, where the gradient's rounding noise (relative to
   * a log-likelihood of 1e5–1e7) can exceed any fixed gradient tolerance.
   */
  decrementTolerance?: number;
  /**
   * Per coordinate, a ceiling (default none): a step that takes a coordinate past it puts the
   * coordinate on it and holds it there, and BFGS goes on over the others (`atUpperBound`).
   */
  upperBounds?: ArrayLike<number>;
  /** Shared cap on evaluations and time (default none). */
  budget?: EvaluationBudget;
}

/** Wraps an objective without gradient into one with central-difference gradients. */
export function withCentralDifferences(f: (x: Float64Array) => number, step = 1e-5): Objective {
  return (x, gradient) => {
    const value = f(x);
    if (gradient) {
      const probe = Float64Array.from(x);
      for (let i = 0; i < x.length; i++) {
        const xi = x[i]!;
        const h = step * Math.max(1, Math.abs(xi));
        probe[i] = xi + h;
        const up = f(probe);
        probe[i] = xi - h;
        const down = f(probe);
        probe[i] = xi;
        gradient[i] = (up - down) / (2 * h);
      }
    }
    return value;
  };
}

/** Makes the n×n matrix H the identity (BFGS's start, and its restart); returns H. */
function identity(H: Float64Array, n: number): Float64Array {
  H.fill(0);
  for (let i = 0; i < n; i++) H[i * n + i] = 1;
  return H;
}

/** Puts coordinates past their ceiling on it and marks them held; true when one was new. */
function holdAtCeilings(
  x: Float64Array,
  upperBounds: ArrayLike<number> | undefined,
  held: Uint8Array,
): boolean {
  let newlyHeld = false;
  for (let i = 0; upperBounds && i < x.length; i++) {
    if (x[i]! > upperBounds[i]!) {
      x[i] = upperBounds[i]!;
      if (!held[i]) newlyHeld = true;
      held[i] = 1;
    }
  }
  return newlyHeld;
}

function maxNorm(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

/**
 * Counts calls and maps thrown errors / NaN to +Infinity so a bad region just looks bad; once the
 * budget is spent, returns +Infinity without calling f.
 */
function guarded(
  f: Objective,
  counter: { evaluations: number },
  budget?: EvaluationBudget,
): Objective {
  return (x, gradient) => {
    if (!spend(budget)) return Number.POSITIVE_INFINITY;
    counter.evaluations++;
    let value: number;
    try {
      value = f(x, gradient);
    } catch {
      value = Number.POSITIVE_INFINITY;
    }
    return Number.isNaN(value) ? Number.POSITIVE_INFINITY : value;
  };
}

/**
 * The objective as BFGS sees it: every call counted (the finite differences' too) and within the
 * budget, with central differences unless the gradient is analytic, and the coordinates held at
 * their ceiling given a zero gradient so no step moves them. `whole` leaves those unzeroed.
 */
function heldObjective(
  objective: Objective,
  n: number,
  options: BfgsOptions,
  counter: { evaluations: number },
): { f: Objective; whole: Objective; held: Uint8Array } {
  const counted = guarded(objective, counter, options.budget);
  const whole = options.analyticGradient ? counted : withCentralDifferences((x) => counted(x));
  const held = new Uint8Array(n);
  const f: Objective = (x, gradient) => {
    const value = whole(x, gradient);
    if (gradient) for (let i = 0; i < n; i++) if (held[i]) gradient[i] = 0;
    return value;
  };
  return { f, whole, held };
}

/** BFGS's answer when the objective is not finite at the start. */
function failedStart(x: Float64Array, value: number, gradient: Float64Array, evaluations: number) {
  const failed = { gradientNorm: Infinity, converged: false, iterations: 0 };
  return { x, value, gradient, ...failed, evaluations, method: "bfgs" as const };
}

/**
 * BFGS with a backtracking (Armijo) line search on the inverse-Hessian approximation. The
 * iteration stays in one function (about 90 lines): its stopping rules share the loop's state,
 * and it reads as the textbook algorithm; direction, line search and update are helpers.
 */
export function bfgs(
  objective: Objective,
  x0: ArrayLike<number>,
  options: BfgsOptions = {},
): OptimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 500;
  const gtol = options.gradientTolerance ?? 1e-6;
  const maxStep = options.maxStep ?? 4;
  const decrementTolerance = options.decrementTolerance ?? 0;
  const counter = { evaluations: 0 };
  const { f, whole, held } = heldObjective(objective, n, options, counter);

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  if (!Number.isFinite(fx)) return failedStart(x, fx, g, counter.evaluations);
  const H = identity(new Float64Array(n * n), n);
  const p = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const Hy = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let iterations = 0;
  let converged = maxNorm(g) <= gtol;
  let firstStep = true;
  let atDomainEdge = false;

  // Stuck inside the domain short of gtol (precision, or a direction the gradient's rounding
  // chose): a Newton step (newtonStep) is taken if it improves, converged if by < the decrement.
  const settleByNewton = () => {
    if (!(decrementTolerance > 0)) return;
    const improvement = newtonStep(f, x, fx, g, held, xNew, gNew);
    if (improvement > 0) {
      [x, xNew] = [xNew, x];
      [g, gNew] = [gNew, g];
      fx -= improvement;
    }
    converged = improvement <= decrementTolerance;
  };
  while (!converged && iterations < maxIterations) {
    iterations++;
    const slope = searchDirection(H, g, p);
    // Trust the decrement only once H has been updated a few times from real curvature.
    if (iterations > n && -slope <= decrementTolerance) {
      converged = true;
      break;
    }
    const pNorm = maxNorm(p);
    let step = pNorm > maxStep ? maxStep / pNorm : 1;
    if (firstStep && pNorm * step > 1) step = 1 / pNorm; // the first direction is unscaled
    const search = lineSearch(f, x, fx, p, slope, step, xNew, gNew, options.budget);
    // No decrease possible along p (the limit of precision or the domain's edge), or the budget
    // is spent.
    if (!search.accepted || options.budget?.exhausted) {
      atDomainEdge = !search.accepted && search.sawNonFinite && !options.budget?.exhausted;
      if (!atDomainEdge && !options.budget?.exhausted) settleByNewton();
      break;
    }
    updateInverseHessian(H, x, xNew, g, gNew, s, y, Hy, firstStep);
    firstStep = false;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    const fOld = fx;
    fx = search.fNew;
    if (holdAtCeilings(x, options.upperBounds, held)) {
      // Start afresh on the coordinates still free: H's curvature was learnt with the held one.
      fx = f(x, g);
      if (!Number.isFinite(fx)) break;
      identity(H, n);
      firstStep = true;
    }
    converged = maxNorm(g) <= gtol;
    if (!converged && Math.abs(fOld - fx) <= 1e-15 * Math.abs(fx) && maxNorm(s) < 1e-12) {
      atDomainEdge = search.sawNonFinite; // only a sliver of the step stayed inside the domain
      if (!atDomainEdge) settleByNewton();
      break;
    }
  }
  const atUpperBound = held.includes(1);
  // Reported whole: the held coordinates' pull is what says how far the limit still was.
  if (atUpperBound) whole(x, g);
  return {
    x,
    value: fx,
    gradient: g,
    gradientNorm: maxNorm(g),
    converged,
    iterations,
    evaluations: counter.evaluations,
    method: "bfgs",
    atDomainEdge,
    ...(atUpperBound ? { atUpperBound } : {}),
  };
}

/**
 * The Newton step from x over the coordinates not held, with the Hessian by central differences
 * of the gradient (2 calls per coordinate), tried: its point in xNew/gNew, and how much it lowers
 * f returned (<= 0 when it does not, 0 when the Hessian is not positive definite). Rounding in
 * the gradient grows with a shape held at 1e6: 0.07 on 20,000 customers, where gtol is 0.002.
 */
function newtonStep(
  f: Objective,
  x: Float64Array,
  fx: number,
  g: Float64Array,
  held: Uint8Array,
  xNew: Float64Array,
  gNew: Float64Array,
): number {
  const free = [...held.keys()].filter((i) => !held[i]);
  const m = free.length;
  const inverse = invertSymmetricPositiveDefinite(gradientDifferences(f, x, free, gNew), m);
  if (!inverse) return 0;
  xNew.set(x);
  free.forEach((i, a) => {
    let d = 0;
    free.forEach((j, b) => {
      d += inverse[a * m + b]! * g[j]!;
    });
    xNew[i] = x[i]! - d;
  });
  const value = f(xNew, gNew);
  return Number.isFinite(value) ? fx - value : 0;
}

/** The symmetric Hessian of f over coordinates `free` at x, by central differences of ∇f. */
function gradientDifferences(
  f: Objective,
  x: Float64Array,
  free: number[],
  scratch: Float64Array,
): Float64Array {
  const m = free.length;
  const H = new Float64Array(m * m);
  const point = Float64Array.from(x);
  const gMinus = new Float64Array(x.length);
  free.forEach((j, b) => {
    const h = 1e-4 * Math.max(1, Math.abs(x[j]!));
    point[j] = x[j]! + h;
    f(point, scratch);
    point[j] = x[j]! - h;
    f(point, gMinus);
    point[j] = x[j]!;
    free.forEach((i, a) => {
      H[a * m + b] = (scratch[i]! - gMinus[i]!) / (2 * h);
    });
  });
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < a; b++) {
      const mean = (H[a * m + b]! + H[b * m + a]!) / 2;
      H[a * m + b] = mean;
      H[b * m + a] = mean;
    }
  }
  return H;
}

/**
 * Fills the search direction p = -H g and returns its slope gᵀp; when that is not a descent
 * direction, resets H to the identity and falls back to steepest descent.
 */
function searchDirection(H: Float64Array, g: Float64Array, p: Float64Array): number {
  const n = g.length;
  let slope = 0;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc -= H[i * n + j]! * g[j]!;
    p[i] = acc;
    slope += acc * g[i]!;
  }
  if (!(slope < 0)) {
    identity(H, n);
    for (let i = 0; i < n; i++) p[i] = -g[i]!;
    slope = -g.reduce((acc, v) => acc + v * v, 0);
  }
  return slope;
}

interface LineSearchResult {
  /** Objective at the last point tried (in xNew, its gradient in gNew). */
  fNew: number;
  /** The last point met the Armijo condition. */
  accepted: boolean;
  /** Some trial point left the region where the objective is finite. */
  sawNonFinite: boolean;
}

/** Backtracking (Armijo) line search from x along p; leaves the last point tried in xNew/gNew. */
function lineSearch(
  f: Objective,
  x: Float64Array,
  fx: number,
  p: Float64Array,
  slope: number,
  initialStep: number,
  xNew: Float64Array,
  gNew: Float64Array,
  budget: EvaluationBudget | undefined,
): LineSearchResult {
  const n = x.length;
  let step = initialStep;
  let fNew = Number.POSITIVE_INFINITY;
  let sawNonFinite = false;
  for (let k = 0; k < 60 && !budget?.exhausted; k++) {
    for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * p[i]!;
    fNew = f(xNew, gNew);
    if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
      return { fNew, accepted: true, sawNonFinite };
    }
    if (!Number.isFinite(fNew)) sawNonFinite = true;
    step *= 0.5;
  }
  return { fNew, accepted: false, sawNonFinite };
}

/**
 * The BFGS update of the inverse Hessian H from the step s = xNew - x and gradient change
 * y = gNew - g (both written into s and y; Hy is scratch). Skipped when the curvature sᵀy is not
 * clearly positive; on the first step H is first scaled to the curvature seen along it.
 */
function updateInverseHessian(
  H: Float64Array,
  x: Float64Array,
  xNew: Float64Array,
  g: Float64Array,
  gNew: Float64Array,
  s: Float64Array,
  y: Float64Array,
  Hy: Float64Array,
  firstStep: boolean,
): void {
  const n = x.length;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const si = xNew[i]! - x[i]!;
    const yi = gNew[i]! - g[i]!;
    s[i] = si;
    y[i] = yi;
    sy += si * yi;
  }
  if (!(sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y)))) return;
  if (firstStep) {
    const scale = sy / dot(y, y);
    for (let i = 0; i < n * n; i++) H[i]! *= scale;
  }
  let yHy = 0;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += H[i * n + j]! * y[j]!;
    Hy[i] = acc;
    yHy += y[i]! * acc;
  }
  const rho = 1 / sy;
  const factor = (1 + yHy * rho) * rho;
  for (let i = 0; i < n; i++) {
    const si = s[i]!;
    const Hyi = Hy[i]!;
    for (let j = 0; j < n; j++) {
      H[i * n + j]! += factor * si * s[j]! - rho * (Hyi * s[j]! + si * Hy[j]!);
    }
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i]! * b[i]!;
  return acc;
}

export interface NelderMeadOptions {
  maxIterations?: number;
  /** Stop when the simplex's function values differ by less than this (default 1e-10). */
  valueTolerance?: number;
  /** ... and its vertices by less than this in every coordinate (default 1e-8). */
  pointTolerance?: number;
  /** Size of the initial simplex along each axis (default 0.5). */
  initialStep?: number;
  /** Shared cap on evaluations and time (default none). */
  budget?: EvaluationBudget;
}

/** Nelder-Mead with the dimension-adaptive coefficients of Gao & Han (2012). */
export function nelderMead(
  f0: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: NelderMeadOptions = {},
): OptimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 2000 * n;
  const ftol = options.valueTolerance ?? 1e-10;
  const xtol = options.pointTolerance ?? 1e-8;
  const counter = { evaluations: 0 };
  const f = guarded((x) => f0(x), counter, options.budget);
  const simplex = initialSimplex(f, x0, options.initialStep ?? 0.5);
  const centroid = new Float64Array(n);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !options.budget?.exhausted) {
    sortSimplex(simplex);
    if (simplexConverged(simplex, ftol, xtol)) {
      converged = true;
      break;
    }
    iterations++;
    nelderMeadStep(simplex, f, centroid);
  }
  sortSimplex(simplex);
  const bestIndex = at(simplex.order, 0);
  const x = at(simplex.points, bestIndex);
  const gradient = new Float64Array(n);
  // Not charged to the budget: a spent budget still reports the gradient where it stopped.
  const unbudgeted = guarded((p) => f0(p), counter);
  withCentralDifferences((p) => unbudgeted(p))(x, gradient);
  return {
    x,
    value: at(simplex.values, bestIndex),
    gradient,
    gradientNorm: maxNorm(gradient),
    converged,
    iterations,
    evaluations: counter.evaluations,
    method: "nelder-mead",
  };
}

/** n+1 vertices, their objective values, and the vertex indices ordered best first. */
interface Simplex {
  points: Float64Array[];
  values: number[];
  order: number[];
}

/** x0 and x0 moved by `step` along each axis. */
function initialSimplex(f: Objective, x0: ArrayLike<number>, step: number): Simplex {
  const n = x0.length;
  const points: Float64Array[] = [];
  const values: number[] = [];
  for (let k = 0; k <= n; k++) {
    const p = Float64Array.from(x0);
    if (k > 0) p[k - 1]! += step;
    points.push(p);
    values.push(f(p));
  }
  return { points, values, order: Array.from({ length: n + 1 }, (_, i) => i) };
}

function sortSimplex({ values, order }: Simplex): void {
  order.sort((i, j) => at(values, i) - at(values, j));
}

/** The values spread by at most ftol and the vertices by at most xtol (relative), best first. */
function simplexConverged({ points, values, order }: Simplex, ftol: number, xtol: number): boolean {
  const best = at(order, 0);
  const worst = at(order, order.length - 1);
  const bestPoint = at(points, best);
  const bestValue = at(values, best);
  let spread = Math.abs(at(values, worst) - bestValue);
  if (!Number.isFinite(spread)) spread = Infinity;
  let size = 0;
  for (const k of order) {
    const point = at(points, k);
    for (let i = 0; i < point.length; i++)
      size = Math.max(size, Math.abs(point[i]! - bestPoint[i]!));
  }
  return spread <= ftol * (1 + Math.abs(bestValue)) && size <= xtol * (1 + maxNorm(bestPoint));
}

/** One reflect / expand / contract / shrink move on a sorted simplex. */
function nelderMeadStep(simplex: Simplex, f: Objective, centroid: Float64Array): void {
  const { points, values, order } = simplex;
  const n = centroid.length;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  const best = at(order, 0);
  const worst = at(order, n);
  const second = at(order, n - 1);
  const worstPoint = at(points, worst);
  centroid.fill(0);
  for (const k of order.slice(0, n)) {
    const point = at(points, k);
    for (let i = 0; i < n; i++) centroid[i]! += point[i]! / n;
  }
  const trial = (coef: number): Float64Array => {
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) p[i] = centroid[i]! + coef * (worstPoint[i]! - centroid[i]!);
    return p;
  };
  const replace = (p: Float64Array, v: number): void => {
    points[worst] = p;
    values[worst] = v;
  };
  const reflected = trial(-alpha);
  const fr = f(reflected);
  if (fr < at(values, best)) {
    const expanded = trial(-alpha * beta);
    const fe = f(expanded);
    if (fe < fr) replace(expanded, fe);
    else replace(reflected, fr);
  } else if (fr < at(values, second)) {
    replace(reflected, fr);
  } else {
    const worstValue = at(values, worst);
    const outside = fr < worstValue;
    const contracted = outside ? trial(-alpha * gamma) : trial(gamma);
    const fc = f(contracted);
    if (fc < (outside ? fr : worstValue)) replace(contracted, fc);
    else shrink(simplex, f, delta);
  }
}

/** Moves every vertex but the best towards it by the factor delta. */
function shrink({ points, values, order }: Simplex, f: Objective, delta: number): void {
  const bestPoint = at(points, at(order, 0));
  for (const k of order.slice(1)) {
    const point = at(points, k);
    for (let i = 0; i < point.length; i++)
      point[i] = bestPoint[i]! + delta * (point[i]! - bestPoint[i]!);
    values[k] = f(point);
  }
}

export interface MultiStartOptions extends BfgsOptions {}

export interface MultiStartResult {
  best: OptimizeResult;
  /** Every start's final result, in the order of the starts. */
  results: OptimizeResult[];
  /** Starts whose optimum is within `agreement` of the best value. */
  startsAgreeing: number;
  evaluations: number;
  /** Why the search stopped early, when the budget ran out (false otherwise). */
  exhausted: EvaluationBudget["exhausted"];
}

/**
 * Runs BFGS from each start; a start that does not meet the gradient tolerance is retried with
 * Nelder-Mead from where BFGS stopped and polished with BFGS again. Keeps the lowest value.
 */
export function multiStartMinimize(
  objective: Objective,
  starts: ArrayLike<number>[],
  options: MultiStartOptions = {},
  agreement = 1e-4,
): MultiStartResult {
  if (starts.length === 0) throw new RangeError("multiStartMinimize: no starts");
  const results: OptimizeResult[] = [];
  let evaluations = 0;
  const budget = options.budget;
  for (const start of starts) {
    if (budget?.exhausted && results.length > 0) break;
    let r = bfgs(objective, start, options);
    evaluations += r.evaluations;
    if (!r.converged && !budget?.exhausted && !r.atDomainEdge && !r.atUpperBound) {
      const from = Number.isFinite(r.value) ? r.x : start;
      const nm = nelderMead((x) => objective(x), from, { budget });
      evaluations += nm.evaluations;
      const polished = bfgs(objective, nm.x, options);
      evaluations += polished.evaluations;
      const candidates = [r, nm, polished].filter((c) => Number.isFinite(c.value));
      if (candidates.length > 0) {
        r = candidates.reduce((a, b) =>
          b.value < a.value || (b.value === a.value && b.converged) ? b : a,
        );
        if (polished.converged && polished.value <= r.value + 1e-9 * Math.abs(r.value))
          r = polished;
      }
    }
    results.push(r);
  }
  let best = at(results, 0);
  for (const r of results) if (r.value < best.value) best = r;
  const startsAgreeing = results.filter((r) => Math.abs(r.value - best.value) <= agreement).length;
  return { best, results, startsAgreeing, evaluations, exhausted: budget?.exhausted ?? false };
}
