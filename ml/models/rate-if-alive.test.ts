import { expect, test } from "bun:test";
import { rateIfAliveColumn, rateIfAliveForecast } from "./rate-if-alive.ts";

const cdnow = { r: 0.243, alpha: 4.414 };

test("the rate if alive is h·(r + x)/(α + T): BG/NBD's posterior mean rate over the horizon", () => {
  expect(rateIfAliveForecast(cdnow, 20, 39, 1)).toBeCloseTo(20.243 / 43.414, 12);
  expect(rateIfAliveForecast(cdnow, 20, 39, 39)).toBeCloseTo((39 * 20.243) / 43.414, 12);
  // No purchase yet: the population's mean rate r/α, discounted by the time seen buying nothing.
  expect(rateIfAliveForecast(cdnow, 0, 0, 10)).toBeCloseTo((10 * 0.243) / 4.414, 12);
  // A young repeat buyer (x = 1 one day after the first purchase) is shrunk hard, not 7 a week.
  expect(rateIfAliveForecast(cdnow, 1, 1 / 7, 1)).toBeLessThan(0.3);
  expect(Array.from(rateIfAliveColumn({ r: 1, alpha: 1 }, [2, 0], [2, 1], 3))).toEqual([3, 1.5]);
});
