// The interval function's model inputs read from a bundle manifest (model.json): what the forecast
// service and batch scoring (`ml score`) both hand to forecastIntervals.

import type { ModelManifest } from "../bundle/model-bundle.ts";
import type { IntervalModelParams } from "./intervals.ts";

/** Parameters, covariances and dispersion; older bundles without them give process noise only. */
export function intervalParamsFromManifest(manifest: ModelManifest): IntervalModelParams {
  return {
    bgnbd: manifest.bgnbd,
    paretoNbd: manifest.pareto_nbd,
    gammaGamma: manifest.gamma_gamma,
    covariances: manifest.uncertainty?.covariances ?? null,
    dispersion: manifest.uncertainty?.dispersion ?? {},
    omitted: manifest.uncertainty?.covariances.omitted ?? {},
  };
}
