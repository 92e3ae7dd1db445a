// GET /model-info: which model answers /forecast and how: version, training window, time unit,
// holdout metrics, artifact checksum, feature layout and the inference engine.
import { AppError } from "@pp/shared/errors/app-error.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import type { Hono } from "hono";
import type { ForecastDeps } from "../deps.ts";
import { readsIdsLowerCased } from "../forecasting/customer-batch.ts";
import type { LoadedModel } from "../model/loaded-model.ts";
import type { ModelInfoJson } from "./model-info-schema.ts";

function modelInfo(model: LoadedModel, sourceDescription: string): ModelInfoJson {
  const { identity, manifest } = model;
  const holdout = Object.fromEntries(
    Object.entries(identity.metrics).filter(([key]) => key.includes("holdout")),
  );
  return {
    name: identity.name,
    version: identity.version,
    stage: identity.stage,
    trained_at: identity.trainedAt,
    data_window: identity.dataWindow,
    time_unit: model.timeUnit,
    ids_lower_cased: readsIdsLowerCased(model),
    recommended: manifest.recommended,
    // The split that chose `recommended`, and the refit the service answers from (null: the
    // bundle holds the calibration fits, e.g. trained with --evaluate-only).
    evaluation: manifest.evaluation ?? null,
    production: manifest.production ?? null,
    holdout_metrics: holdout,
    metrics: identity.metrics,
    artifact_sha256: identity.artifactSha256,
    source: identity.source,
    polling: sourceDescription,
    loaded_at: model.loadedAt,
    customers: model.customers.n,
    feature_layout: manifest.feature_layout,
    params: {
      bgnbd: model.bgnbd,
      pareto_nbd: model.paretoNbd,
      gamma_gamma: model.gammaGamma,
    },
    gbdt: model.gbdt
      ? {
          trained_horizon: model.trainedHorizon,
          models: ["count", "purchase", ...(model.gbdt.spend ? (["spend"] as const) : [])],
          other_horizons:
            "expected_purchases and predicted_spend are scaled by the customer's BG/NBD ratio E[X(h)]/E[X(H)]; p_purchase becomes 1 - (1 - p)^k, k the exponent that carries the customer's BG/NBD P(purchase) from H to h; p_alive is BG/NBD's; customers given by summary only get no GBDT forecast",
        }
      : null,
    blend: manifest.blend
      ? {
          inputs: manifest.blend.inputs,
          segments: "calibration frequency 0, 1, …, 6, 7+",
          weights: manifest.blend.weights,
        }
      : null,
    intervals: intervalMethod(model),
    inference: {
      engine: model.engine.name,
      engine_version: model.engine.version,
      backend: model.engine.backend,
      onnxruntime_web_version:
        model.engine.name === "onnxruntime-web" ? model.engine.version : null,
      btyd: "TypeScript (ml/models)",
    },
  };
}

/** How `"intervals"` are computed for this model (older bundles lack parameter uncertainty). */
function intervalMethod(model: LoadedModel) {
  const u = model.manifest.uncertainty;
  return {
    parameter_uncertainty: u
      ? "parametric bootstrap: 16 draws of the log-parameters from N(MLE, inverse observed information)"
      : "none (the bundle has no covariances): process noise only",
    purchases:
      "BTYD: conditional PMF mixed over the draws; GBDT and blend: P(0) = 1 − their p_purchase and, given at least one, a zero-truncated negative binomial with the out-of-fold dispersion and a mean that makes E[X] their expected_purchases; conservative equal-tailed integer interval",
    spend: "total order value in the horizon: Gamma-Gamma posterior, 500 Monte Carlo draws",
    clv: "spend interval × the model's discount share (CLV / expected spend)",
    dispersion: u?.dispersion ?? {},
    omitted: u?.covariances.omitted ?? {},
    draws:
      "Pareto/NBD draws its formulas cannot evaluate are redrawn (up to 4× as many tried); under 1 in 4 evaluable: the point estimate alone",
  };
}

export function registerModelInfo(app: Hono<AppEnv>, deps: ForecastDeps): void {
  app.get("/model-info", (c) => {
    const model = deps.model.current;
    if (!model) {
      throw new AppError("not_ready", "No model is loaded yet", {
        headers: { "Retry-After": "1" },
      });
    }
    return c.json(modelInfo(model, deps.model.sourceDescription));
  });
}
