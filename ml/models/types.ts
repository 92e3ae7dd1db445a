// Types shared by the purchase models: the (x, t_x, T) data they are fitted on, fit results and
// the error raised for bad model input (which the services turn into a 4xx naming the field).

/**
 * Per-customer frequency/recency data in columnar form (CustomerSummaries satisfies it).
 * x = repeat purchases, tx = time of the last purchase, T = age, both since the first purchase.
 */
export interface RfmData {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** How many customers each row stands for (default 1 each): grouped rows carry their counts. */
  weight?: Float64Array;
}

export interface FitOptions {
  /** Starting points in natural (not log) parameter space; a small default grid is used if absent. */
  starts?: number[][];
  /** Group identical (x, t_x, T) rows before fitting (default true). */
  group?: boolean;
  /** Maximum optimizer iterations per start (default 500). */
  maxIterations?: number;
  /** Gradient-norm tolerance on the log-parameters, per customer (default 1e-7). */
  gradientTolerance?: number;
  /** Cap on likelihood evaluations over all starts (default 20,000). */
  maxEvaluations?: number;
  /** Cap on the fit's wall-clock seconds (default 60). */
  maxSeconds?: number;
}

export interface FitResult<P> {
  params: P;
  /** Log-likelihood at `params`, summed over customers. */
  logLikelihood: number;
  /**
   * True when the best start met the gradient tolerance, or a Newton step would improve the
   * log-likelihood by less than 1e-7 (the limit of double precision at large n). With a shape
   * held at SHAPE_LIMIT (`stopped` "shape-limit"), about the other parameters.
   */
  converged: boolean;
  /**
   * Why the fit stopped where it did: it ran out of its evaluation or time budget, or the
   * likelihood still rose at the edge of the region where it can be evaluated (the likelihood is
   * NaN past it) — then `converged` is false and `params` are the best point found — or a shape
   * parameter passed SHAPE_LIMIT with the likelihood still rising and was held there (a
   * homogeneous population: see `maximum-likelihood.ts`; `converged` says whether the others
   * met the tolerance). Null otherwise.
   */
  stopped: "evaluations" | "time" | "domain-edge" | "shape-limit" | null;
  /** Optimizer iterations of the best start. */
  iterations: number;
  /** Likelihood evaluations over all starts. */
  evaluations: number;
  /** Number of starts tried. */
  starts: number;
  /** Starts whose optimum is within 1e-4 of the best log-likelihood (agreement is reassuring). */
  startsAgreeing: number;
  /** Norm of the log-likelihood gradient in log-parameters at the optimum. */
  gradientNorm: number;
  /** Customers fitted and the distinct rows they collapsed to. */
  customers: number;
  rows: number;
  seconds: number;
}

/** Bad input to a model (invalid parameter or data value), naming the field and the problem. */
export class ModelInputError extends RangeError {
  constructor(
    readonly field: string,
    readonly problem: string,
    readonly index?: number,
  ) {
    super(`${field}${index === undefined ? "" : `[${index}]`}: ${problem}`);
    this.name = "ModelInputError";
  }
}

/** Checks that every named parameter is a finite positive number. */
export function assertPositiveParams(params: object, names: readonly string[]): void {
  const record = params as Record<string, unknown>;
  for (const name of names) {
    const v = record[name];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ModelInputError(name, `expected a finite number > 0, got ${String(v)}`);
    }
  }
}

/** Checks one customer's (x, t_x, T): finite, x >= 0 and 0 <= t_x <= T. */
export function assertCustomer(x: number, tx: number, T: number, index?: number): void {
  if (!(x >= 0) || !Number.isFinite(x)) {
    throw new ModelInputError("x", `expected a finite number >= 0, got ${x}`, index);
  }
  if (!(tx >= 0) || !Number.isFinite(tx)) {
    throw new ModelInputError("tx", `expected a finite number >= 0, got ${tx}`, index);
  }
  if (!(T >= tx) || !Number.isFinite(T)) {
    throw new ModelInputError("T", `expected a finite number >= tx (${tx}), got ${T}`, index);
  }
}

/** Validates a whole data set, reporting the first bad row by index. */
export function assertRfmData(data: RfmData): number {
  const n = data.x.length;
  if (data.tx.length !== n || data.T.length !== n) {
    throw new ModelInputError(
      "data",
      `x, tx and T must have the same length (${n}, ${data.tx.length}, ${data.T.length})`,
    );
  }
  if (data.weight && data.weight.length !== n) {
    throw new ModelInputError("weight", `length ${data.weight.length}, expected ${n}`);
  }
  for (let i = 0; i < n; i++) assertCustomer(data.x[i]!, data.tx[i]!, data.T[i]!, i);
  if (data.weight) {
    for (let i = 0; i < n; i++) {
      const w = data.weight[i]!;
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new ModelInputError("weight", `expected a finite number >= 0, got ${w}`, i);
      }
    }
  }
  return n;
}
