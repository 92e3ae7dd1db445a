// The registry's headline metrics (ml models, /model-info): the recommended model's own holdout
// scores. With the blend recommended (the usual case) they were Pareto/NBD's.
import { expect, test } from "bun:test";
import { registryMetrics } from "./register-bundle.ts";
import type { TrainedModels } from "./train-models.ts";

const holdout = (deviance: number) => ({
  mae: deviance / 2,
  rmse: deviance + 0.1,
  poisson_deviance: deviance,
});

test("the headline scores are the recommended model's, the blend's included", () => {
  const models = {
    bgnbd: { holdout: holdout(1.6), log_likelihood: -9582.4 },
    pareto_nbd: { holdout: holdout(1.594), log_likelihood: -9595 },
    blend: { holdout: holdout(1.514) },
  };
  const trained = (recommended: string) =>
    ({ recommended, metrics: { models } }) as unknown as TrainedModels;
  for (const [recommended, deviance] of [
    ["blend", 1.514],
    ["bgnbd", 1.6],
    ["pareto_nbd", 1.594],
  ] as const) {
    const metrics = registryMetrics(trained(recommended));
    expect(metrics.poisson_deviance).toBe(deviance);
    expect(metrics.rmse).toBe(deviance + 0.1);
    expect(metrics["blend.holdout.poisson_deviance"]).toBe(1.514);
  }
});
