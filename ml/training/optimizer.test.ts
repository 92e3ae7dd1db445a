import { describe, expect, test } from "bun:test";
import { at } from "./checked-index.ts";
import {
  bfgs,
  createEvaluationBudget,
  multiStartMinimize,
  nelderMead,
  withCentralDifferences,
} from "./optimizer.ts";

/** Rosenbrock's banana: minimum 0 at (1, 1, ..., 1), a narrow curved valley. */
function rosenbrock(x: Float64Array, gradient?: Float64Array): number {
  let f = 0;
  if (gradient) gradient.fill(0);
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    if (gradient) {
      gradient[i]! += -400 * x[i]! * a - 2 * b;
      gradient[i + 1]! += 200 * a;
    }
  }
  return f;
}

describe("optimizers on Rosenbrock", () => {
  test("Nelder-Mead (gradient-free) finds (1, 1) from (-1.2, 1)", () => {
    const r = nelderMead((x) => rosenbrock(x), [-1.2, 1]);
    expect(r.converged).toBe(true);
    expect(r.value).toBeLessThan(1e-12);
    expect(Math.abs(r.x[0]! - 1)).toBeLessThan(1e-5);
    expect(Math.abs(r.x[1]! - 1)).toBeLessThan(1e-5);
  });

  test("BFGS with central differences finds (1, 1, 1, 1)", () => {
    const r = bfgs(rosenbrock, [-1.2, 1, -1.2, 1], { gradientTolerance: 1e-6 });
    expect(r.converged).toBe(true);
    for (const v of r.x) expect(Math.abs(v - 1)).toBeLessThan(1e-5);
  });

  test("BFGS with the analytic gradient converges in fewer evaluations", () => {
    const analytic = bfgs(rosenbrock, [-1.2, 1], {
      analyticGradient: true,
      gradientTolerance: 1e-8,
    });
    const numeric = bfgs(rosenbrock, [-1.2, 1], { gradientTolerance: 1e-6 });
    expect(analytic.converged).toBe(true);
    expect(analytic.gradientNorm).toBeLessThan(1e-8);
    expect(analytic.evaluations).toBeLessThan(numeric.evaluations);
  });

  test("multi-start keeps the global minimum of a two-well function and counts agreeing starts", () => {
    // f(x) = (x^2 - 1)^2 + 0.3 x: the left well (x ≈ -1.04) is lower than the right one.
    const f = (x: Float64Array) => (x[0]! * x[0]! - 1) ** 2 + 0.3 * x[0]!;
    const r = multiStartMinimize(withCentralDifferences(f), [[2], [1.5], [-2]], {
      analyticGradient: true,
      gradientTolerance: 1e-9,
    });
    expect(r.best.x[0]).toBeLessThan(-1);
    expect(r.startsAgreeing).toBe(1);
    expect(r.results).toHaveLength(3);
  });

  test("a region where the objective throws or is NaN is treated as +Infinity, not a crash", () => {
    const f = (x: Float64Array) => {
      if (x[0]! < 0) throw new Error("outside the domain");
      return (x[0]! - 2) ** 2 + (x[1]! + 1) ** 2;
    };
    const r = bfgs(withCentralDifferences(f), [0.5, 0], { analyticGradient: true });
    expect(r.converged).toBe(true);
    expect(Math.abs(r.x[0]! - 2)).toBeLessThan(1e-5);
  });
});

describe("budgets and the domain's edge", () => {
  test("an evaluation budget shared by the starts stops BFGS and Nelder-Mead, saying so", () => {
    let calls = 0;
    const counted = (x: Float64Array, g?: Float64Array) => {
      calls++;
      return rosenbrock(x, g);
    };
    const budget = createEvaluationBudget(25);
    const fit = multiStartMinimize(
      counted,
      [
        [-1.2, 1, -1.2, 1],
        [2, 2, 2, 2],
      ],
      {
        analyticGradient: true,
        budget,
      },
    );
    expect(fit.exhausted).toBe("evaluations");
    expect(calls).toBe(25);
    expect(fit.best.converged).toBe(false);
    expect(Number.isFinite(fit.best.value)).toBe(true);
    const nm = nelderMead((x) => rosenbrock(x), [-1.2, 1], {
      budget: createEvaluationBudget(10),
    });
    expect(nm.converged).toBe(false);
    expect(nm.evaluations).toBe(10 + 5); // + the final central differences (f and 2 per axis)
  });

  test("a time budget stops a slow objective", () => {
    const slow = (x: Float64Array, g?: Float64Array) => {
      const until = performance.now() + 5;
      while (performance.now() < until) {}
      return rosenbrock(x, g);
    };
    const started = performance.now();
    const fit = multiStartMinimize(slow, [[-1.2, 1]], {
      analyticGradient: true,
      budget: createEvaluationBudget(Number.POSITIVE_INFINITY, 0.1),
    });
    expect(fit.exhausted).toBe("time");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  test("a minimum beyond a NaN wall stops BFGS at the wall, flagged, without Nelder-Mead", () => {
    // Decreasing towards x → ∞, computable only for x < 3.
    const f = (x: Float64Array, g?: Float64Array) => {
      if (x[0]! >= 3) return Number.NaN;
      if (g) g[0] = -Math.exp(-x[0]!);
      return Math.exp(-x[0]!);
    };
    const fit = multiStartMinimize(f, [[0]], { analyticGradient: true });
    expect(fit.best.method).toBe("bfgs");
    expect(fit.best.atDomainEdge).toBe(true);
    expect(fit.best.converged).toBe(false);
    expect(fit.best.x[0]).toBeGreaterThan(2.99);
    expect(fit.best.x[0]).toBeLessThan(3);
  });
});

describe("standard errors from the observed information", () => {
  test("the Hessian of a quadratic is exact and its inverse gives the known covariance", async () => {
    const { numericalHessian, invertSymmetricPositiveDefinite } = await import(
      "./standard-errors.ts"
    );
    // f = ½ xᵀ A x with A = [[4, 1], [1, 3]]: Hessian A, inverse 1/11 [[3, -1], [-1, 4]].
    const f = (x: Float64Array) => 0.5 * (4 * x[0]! ** 2 + 2 * x[0]! * x[1]! + 3 * x[1]! ** 2);
    const H = numericalHessian(f, [0.3, -0.2]);
    expect(Array.from(H).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([4, 1, 1, 3]);
    const inverse = invertSymmetricPositiveDefinite(H, 2);
    expect(inverse).not.toBeNull();
    const want = [3 / 11, -1 / 11, -1 / 11, 4 / 11];
    want.forEach((w, i) => {
      expect(Math.abs(at(inverse ?? [], i) - w)).toBeLessThan(1e-6);
    });
    expect(invertSymmetricPositiveDefinite(Float64Array.from([1, 2, 2, 1]), 2)).toBeNull();
  });
});

describe("ceilings", () => {
  // Falls forever in x (towards a limit no finite point reaches), has a minimum in y at 1.
  const slope: Parameters<typeof bfgs>[0] = (x, g) => {
    const [u = 0, v = 0] = x;
    if (g) {
      g[0] = -Math.exp(-u) - 1e-3;
      g[1] = 2 * (v - 1);
    }
    return Math.exp(-u) - 1e-3 * u + (v - 1) ** 2;
  };

  test("a coordinate pushed past its ceiling is held on it while the others converge", () => {
    const r = bfgs(slope, [0, -3], { analyticGradient: true, upperBounds: [5, Infinity] });
    expect(r.atUpperBound).toBe(true);
    expect(r.x[0]).toBe(5);
    expect(r.x[1]).toBeCloseTo(1, 6);
    expect(r.converged).toBe(true); // over y, the coordinate still free
    expect(r.gradient[0]).toBeLessThan(0); // the whole gradient: x still pulls upwards
    expect(r.evaluations).toBeLessThan(100);
    const free = bfgs(slope, [0, -3], {
      analyticGradient: true,
      budget: createEvaluationBudget(2000),
    });
    expect(free.atUpperBound).toBeUndefined();
    expect(free.x[0]).toBeGreaterThan(5); // without the ceiling it runs on
  });

  test("multiStartMinimize does not hand a held start to Nelder-Mead", () => {
    const fit = multiStartMinimize(slope, [[0, -3]], {
      analyticGradient: true,
      upperBounds: [5, Infinity],
    });
    expect(fit.best.method).toBe("bfgs");
    expect(fit.best.x[0]).toBe(5);
  });
});
