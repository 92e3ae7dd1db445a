// Which model an answer recommends when the recommended GBDT or blend has no figures (a customer
// given by summary): the BTYD model training scored better, where it was BG/NBD always (CDNOW:
// Pareto/NBD's holdout deviance 1.5940 against BG/NBD's 1.5992, and "bgnbd" recommended).
import { expect, test } from "bun:test";
import { btydFallback } from "./forecast-answer.ts";

test("the BTYD model with the lower holdout deviance; BG/NBD without the scores", () => {
  const cdnow = {
    "bgnbd.holdout.poisson_deviance": 1.5992,
    "pareto_nbd.holdout.poisson_deviance": 1.594,
  };
  expect(btydFallback(cdnow)).toBe("pareto_nbd");
  expect(btydFallback({ ...cdnow, "bgnbd.holdout.poisson_deviance": 1.5 })).toBe("bgnbd");
  expect(btydFallback({ "pareto_nbd.holdout.poisson_deviance": 1.2 })).toBe("bgnbd");
  expect(btydFallback({})).toBe("bgnbd");
});
