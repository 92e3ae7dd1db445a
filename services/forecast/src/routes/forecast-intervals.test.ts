// POST /forecast with "intervals" and "distribution" on an in-memory demo bundle: every model gains
// intervals that contain its point forecast, the PMF agrees with the point forecast, the blend is
// served, answers are reproducible, and bad levels get a 400 naming the field.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Hono } from "hono";
import { appServingBundle } from "../testing/bundle-app.ts";
import { trainDemoBundle } from "../testing/demo-bundle.ts";

let app: Hono<never>;
let ids: string[];

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 1000, seed: 5 });
  ({ app, ids } = await appServingBundle(demo.files));
  ids = ids.slice(0, 50);
}, 120_000);

const post = (body: unknown) =>
  app.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

type ModelJson = Record<string, unknown> & {
  expected_purchases: number;
  expected_spend: number;
  intervals?: Record<string, { purchases: number[]; spend: number[]; clv: number[] }>;
  distribution?: { pmf: number[]; tail: number };
};

describe("POST /forecast with intervals", () => {
  test("every model gains intervals and a PMF consistent with its point forecast", async () => {
    const res = await post({
      horizon: { value: 39, unit: "week" },
      discount_rate: 0.1,
      intervals: [0.8, 0.95],
      distribution: true,
      customers: [
        ...ids.map((id) => ({ id })),
        { id: "s", summary: { frequency: 3, recency: 20, T: 30, monetary: 40 } },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { forecasts: { models: Record<string, ModelJson> }[] };
    for (const item of body.forecasts) {
      const names = Object.keys(item.models);
      expect(names).toContain("bgnbd");
      for (const name of names) {
        const m = item.models[name] as ModelJson;
        const i80 = m.intervals?.["0.8"];
        const i95 = m.intervals?.["0.95"];
        if (!i80 || !i95 || !m.distribution) throw new Error(`${name}: no intervals`);
        const [lo80, hi80] = i80.purchases as [number, number];
        const [lo95, hi95] = i95.purchases as [number, number];
        expect(Number.isInteger(lo80) && Number.isInteger(hi80)).toBe(true);
        expect(lo95).toBeLessThanOrEqual(lo80);
        expect(hi95).toBeGreaterThanOrEqual(hi80);
        expect(hi95).toBeGreaterThanOrEqual(Math.floor(m.expected_purchases));
        expect((i95.spend[0] ?? Number.NaN) <= (i80.spend[0] ?? Number.NaN)).toBe(true);
        expect((i95.spend[1] ?? Number.NaN) >= (i80.spend[1] ?? Number.NaN)).toBe(true);
        expect((i95.clv[1] ?? Number.NaN) <= (i95.spend[1] ?? Number.NaN) + 1e-6).toBe(true);
        const { pmf, tail } = m.distribution;
        const mass = pmf.reduce((s, p) => s + p, 0);
        expect(Math.abs(mass + tail - 1)).toBeLessThan(1e-6);
        const mean = pmf.reduce((s, p, k) => s + k * p, 0);
        if (name === "gbdt" || name === "blend") {
          // A hurdle on the point figures: 1 − P(0) is p_purchase, the mean expected_purchases
          // (p_purchase where that is larger: a count's mean is at least its P(X ≥ 1)).
          const p = m.p_purchase as number;
          expect(Math.abs(1 - (pmf[0] ?? 0) - p)).toBeLessThan(1e-6);
          expect(Math.abs(mean - Math.max(m.expected_purchases, p))).toBeLessThan(1e-4);
        } else {
          // Mixed over parameter draws (1,000 demo customers: wide), so near the plug-in mean only.
          expect(Math.abs(mean - m.expected_purchases)).toBeLessThan(
            0.5 * m.expected_purchases + 0.01,
          );
        }
      }
    }
    const stored = body.forecasts[0]?.models;
    expect(Object.keys(stored ?? {})).toEqual(["bgnbd", "pareto_nbd", "gbdt", "blend"]);
    expect(Object.keys(body.forecasts.at(-1)?.models ?? {})).toEqual(["bgnbd", "pareto_nbd"]);
  });

  test("the same customer gets the same intervals alone or in a batch; none without asking", async () => {
    const one = await post({
      horizon: { value: 20, unit: "week" },
      intervals: [0.9],
      customers: [{ id: ids[3] }],
    });
    const many = await post({
      horizon: { value: 20, unit: "week" },
      intervals: [0.9],
      customers: ids.map((id) => ({ id })),
    });
    const a = ((await one.json()) as { forecasts: { models: unknown }[] }).forecasts[0]?.models;
    const b = ((await many.json()) as { forecasts: { models: unknown }[] }).forecasts[3]?.models;
    expect(a).toEqual(b);
    const plain = await post({ horizon: { value: 20, unit: "week" }, customers: [{ id: ids[3] }] });
    const models = ((await plain.json()) as { forecasts: { models: Record<string, object> }[] })
      .forecasts[0]?.models;
    expect(Object.keys(models?.bgnbd ?? {})).not.toContain("intervals");
    expect(Object.keys(models ?? {})).toContain("blend");
  });

  test("extreme summaries get finite or null bounds, never a 500", async () => {
    const res = await post({
      horizon: { value: 260, unit: "week" },
      intervals: [0.95],
      distribution: true,
      customers: [
        { id: "heavy", summary: { frequency: 100_000, recency: 39, T: 39, monetary: 1e9 } },
        { id: "new", summary: { frequency: 0, recency: 0, T: 0 } },
        { id: "old", summary: { frequency: 1, recency: 0.001, T: 1e6 } },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      forecasts: { id: string; models?: Record<string, ModelJson>; error?: { code: string } }[];
    };
    // A summary the formulas cannot handle fails alone, as without intervals.
    expect(body.forecasts.filter((f) => f.models).map((f) => f.id)).toContain("new");
    for (const item of body.forecasts) {
      if (!item.models) {
        expect(item.error?.code).toBe("invalid_customer");
        continue;
      }
      for (const m of Object.values(item.models)) {
        const [lo, hi] = m.intervals?.["0.95"]?.purchases ?? [];
        expect(Number.isFinite(lo)).toBe(true);
        expect(hi === null || (hi as number) >= (lo as number)).toBe(true);
      }
    }
  }, 60_000);

  test("a large batch with intervals lets other requests through while it is computed, and answers as in one piece", async () => {
    // Intervals cost ~1 ms a customer, all in one synchronous run: 10,000 customers held the
    // service for 8 s, /health and every other /forecast (the decision service's, whose 2 s
    // timeout then opened its breaker) waiting behind it. They are now computed in slices.
    const customers = Array.from({ length: 600 }, (_, i) => ({
      id: `s-${i}`,
      summary: { frequency: 1 + (i % 30), recency: 10 + (i % 97) / 10, T: 31, monetary: 5 + i },
    }));
    const body = { horizon: { value: 39, unit: "week" }, intervals: [0.8, 0.95], customers };
    const order: string[] = [];
    const big = Promise.resolve(post(body)).then(async (res) => {
      order.push("forecast");
      return res;
    });
    await Bun.sleep(1);
    const health = new Promise<void>((resolve) => {
      setTimeout(async () => {
        await app.request("/health");
        order.push("health");
        resolve();
      }, 5);
    });
    const [res] = await Promise.all([big, health]);
    expect(order).toEqual(["health", "forecast"]);
    // The same answer as each customer's in a small batch (the draws are the whole batch's).
    const all = ((await res.json()) as { forecasts: { models: unknown }[] }).forecasts;
    for (const i of [0, 99, 100, 101, 350, 599]) {
      const one = await post({ ...body, customers: [customers[i], customers[599]] });
      const alone = ((await one.json()) as { forecasts: { models: unknown }[] }).forecasts;
      expect(alone[0]?.models).toEqual(all[i]?.models as never);
    }
  });

  test("a few costly customers (PMFs of thousands of purchases) let other requests through too", async () => {
    // Slices of 100 customers: 30 summaries of ~a million repeat purchases (a 2.7 KB body) were
    // one slice, ~170 ms each, and held the service for 5 s. Slices now end after ~50 ms. (Those
    // summaries had a recency of 1 week, now an item error: a million purchases, once a day, span
    // 142,857 weeks. At that recency each costs ~9 ms, so 60 of them.)
    const customers = Array.from({ length: 60 }, (_, i) => ({
      id: `x-${i}`,
      summary: { frequency: 1_000_000 - i, recency: 150_000, T: 150_000, monetary: 10 },
    }));
    const order: string[] = [];
    const big = Promise.resolve(
      post({ horizon: { value: 260, unit: "week" }, intervals: [0.9], customers }),
    ).then((res) => {
      order.push("forecast");
      return res;
    });
    await Bun.sleep(1);
    const health = new Promise<void>((resolve) => {
      setTimeout(async () => {
        await app.request("/health");
        order.push("health");
        resolve();
      }, 5);
    });
    const [res] = await Promise.all([big, health]);
    expect(res.status).toBe(200);
    expect(order).toEqual(["health", "forecast"]);
  });

  test("/model-info says how intervals are made and shows the blend weights", async () => {
    const info = (await (await app.request("/model-info")).json()) as Record<string, unknown>;
    const intervals = info.intervals as { parameter_uncertainty: string; dispersion: object };
    expect(intervals.parameter_uncertainty).toContain("parametric bootstrap");
    expect(Object.keys(intervals.dispersion).sort()).toEqual(["blend", "gbdt"]);
    const blend = info.blend as { weights: number[][] };
    expect(blend.weights.length).toBe(8);
  });

  test("bad levels get a 400 naming the field", async () => {
    for (const [intervals, path] of [
      [[1.5], "intervals.0"],
      [[0], "intervals.0"],
      [[0.8, 0.8], "intervals"],
      [[], "intervals"],
      ["0.8", "intervals"],
      [[Number.NaN], "intervals.0"],
    ] as const) {
      const res = await post({
        horizon: { value: 20, unit: "week" },
        intervals,
        customers: [{ id: ids[0] }],
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { details: { path: string }[] } };
      expect(body.error.details.map((d) => d.path)).toContain(path);
    }
    const res = await post({
      horizon: { value: 20, unit: "week" },
      distribution: "yes",
      customers: [{ id: ids[0] }],
    });
    expect(res.status).toBe(400);
  });
});
