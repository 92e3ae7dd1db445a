// The served models' refit is checked as the evaluation's fits are: before, a production BG/NBD
// held at b = 1e6 was served without a word (metrics.json production.notes was empty).
import { expect, test } from "bun:test";
import type { FitResult } from "../models/types.ts";
import { productionFitWarnings } from "./production-step.ts";

const fit = <P extends object>(
  params: P,
  converged: boolean,
  stopped: FitResult<P>["stopped"] = converged ? null : "shape-limit",
): FitResult<P> => ({
  params,
  logLikelihood: -1000,
  converged,
  stopped,
  iterations: 20,
  evaluations: 60,
  starts: 3,
  startsAgreeing: 3,
  gradientNorm: converged ? 1e-9 : 0.0224,
  customers: 600,
  rows: 600,
  seconds: 0.01,
});

test("a production refit at a parameter limit or short of convergence is a warning naming the as-of date", () => {
  const warnings = productionFitWarnings(
    {
      bgnbd: fit({ r: 4.66, alpha: 19.2, a: 28_494, b: 1e6 }, false),
      paretoNbd: fit({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, true),
      gammaGamma: null,
    },
    "2024-09-11",
  );
  expect(warnings).toEqual([
    "WARNING: production refit as of 2024-09-11: BG/NBD: the fit did not converge (gradient norm 0.0224)",
  ]);
  // Held at the limit with the others converged: the homogeneous limit's fit, a note, no warning.
  const held = productionFitWarnings(
    {
      bgnbd: fit({ r: 4.66, alpha: 19.2, a: 28_494, b: 1e6 }, true, "shape-limit"),
      paretoNbd: fit({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, true),
      gammaGamma: null,
    },
    "2024-09-11",
  );
  expect(held).toHaveLength(1);
  expect(held[0]).toStartWith(
    "production refit as of 2024-09-11: BG/NBD: the likelihood still rose past 1e+6 in b, held there",
  );
  const sound = productionFitWarnings(
    {
      bgnbd: fit({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, true),
      paretoNbd: fit({ r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 }, true),
      gammaGamma: fit({ p: 6.25, q: 3.74, gamma: 15.44 }, true),
    },
    "1998-06-30",
  );
  expect(sound).toEqual([]);
});
