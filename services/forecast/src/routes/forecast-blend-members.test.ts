// The blend as served is the blend as trained: model.json names its four members (BG/NBD,
// Pareto/NBD, GBDT and BG/NBD's rate if alive h·(r + x)/(α + T) of ml/models/rate-if-alive.ts), and
// POST /forecast answers Σ w·f with the served members' figures and the rate at the asked horizon,
// for purchases, spend and CLV (checked with weights that give each member a share: the demo
// population's own fit may leave the rate at 0). A bundle trained before the fourth member joined
// (three members) still loads and serves the three-member blend, its other models unchanged.
import { beforeAll, describe, expect, test } from "bun:test";
import { rateIfAliveForecast } from "@pp/ml/models/rate-if-alive.ts";
import { frequencySegment } from "@pp/ml/pipelines/blend.ts";
import type { Hono } from "hono";
import { encodeBundle } from "../model/exported-bundle.ts";
import { appServingBundle } from "../testing/bundle-app.ts";
import { type DemoBundle, trainDemoBundle } from "../testing/demo-bundle.ts";

type Figures = { expected_purchases: number; expected_spend: number | null; clv: number | null };
type Models = Record<string, Figures>;

let demo: DemoBundle;
let app: Hono<never>;
let rateApp: Hono<never>;
let oldApp: Hono<never>;
let ids: string[];
let manifest: {
  blend: { inputs: string[]; weights: number[][] };
  bgnbd: { r: number; alpha: number };
};
/** Weights that give every member a share (the demo population's fit may leave the rate at 0). */
const RATE_WEIGHTS = Array.from({ length: 8 }, (_, g) => [
  0.3,
  0.2,
  0.35 - 0.02 * g,
  0.15 + 0.02 * g,
]);
const summaryOf = new Map<string, { x: number; T: number }>();

const json = (files: Map<string, Uint8Array>, name: string) =>
  JSON.parse(new TextDecoder().decode(files.get(name)));

beforeAll(async () => {
  demo = await trainDemoBundle({ customers: 1000, seed: 5 });
  ({ app, ids } = await appServingBundle(demo.files));
  manifest = json(demo.raw.files, "model.json");
  const withBlend = async (blend: { inputs: string[]; weights: number[][] }) => {
    const files = new Map(demo.raw.files);
    files.set("model.json", new TextEncoder().encode(JSON.stringify({ ...manifest, blend })));
    return (await appServingBundle(await encodeBundle({ ...demo.raw, files }))).app;
  };
  rateApp = await withBlend({ inputs: manifest.blend.inputs, weights: RATE_WEIGHTS });
  // The bundle as trained before the rate if alive joined: three members, their weights kept.
  oldApp = await withBlend({
    inputs: ["bgnbd", "pareto_nbd", "gbdt"],
    weights: RATE_WEIGHTS.map((w) => w.slice(0, 3)),
  });
  for (const row of demo.raw.customerRows) {
    summaryOf.set(row.customerId, { x: Number(row.summary.x), T: Number(row.summary.T) });
  }
  ids = ids.filter((id) => (summaryOf.get(id)?.x ?? 0) > 0).slice(0, 60);
}, 120_000);

async function forecast(on: Hono<never>, weeks: number): Promise<Models[]> {
  const res = await on.request("/forecast", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      horizon: { value: weeks, unit: "week" },
      discount_rate: 0.1,
      customers: ids.map((id) => ({ id })),
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { forecasts: { models: Models }[] }).forecasts.map((f) => f.models);
}

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-7 * (1 + b));

describe("the served blend", () => {
  test("model.json and metrics.json name the four members", () => {
    expect(manifest.blend.inputs).toEqual(["bgnbd", "pareto_nbd", "gbdt", "rate_if_alive"]);
    expect(manifest.blend.weights.every((w) => w.length === 4)).toBe(true);
    expect(json(demo.raw.files, "metrics.json").models.blend.inputs).toEqual(manifest.blend.inputs);
  });

  for (const weeks of [39, 20]) {
    test(`is Σ w·f over the members with the rate if alive h·(r + x)/(α + T) (${weeks} weeks)`, async () => {
      const rows = await forecast(rateApp, weeks);
      let rateCarries = 0;
      rows.forEach((models, j) => {
        const { x, T } = summaryOf.get(ids[j] as string) as { x: number; T: number };
        const w = RATE_WEIGHTS[frequencySegment(x)] as number[];
        const [bg, pn, gb, blend] = ["bgnbd", "pareto_nbd", "gbdt", "blend"].map(
          (m) => models[m] as Figures,
        ) as [Figures, Figures, Figures, Figures];
        const rate = rateIfAliveForecast(manifest.bgnbd, x, T, weeks);
        if ((w[3] ?? 0) * rate > 1e-6) rateCarries++;
        const sum = (f: (m: Figures) => number, r: number) =>
          (w[0] ?? 0) * f(bg) + (w[1] ?? 0) * f(pn) + (w[2] ?? 0) * f(gb) + (w[3] ?? 0) * r;
        close(
          blend.expected_purchases,
          sum((m) => m.expected_purchases, rate),
        );
        // Spend and CLV: the rate's purchases at the Gamma-Gamma spend, timed like BG/NBD's.
        const perPurchase = (bg.expected_spend as number) / bg.expected_purchases;
        const share = (bg.clv as number) / (bg.expected_spend as number);
        close(
          blend.expected_spend as number,
          sum((m) => m.expected_spend as number, rate * perPurchase),
        );
        close(
          blend.clv as number,
          sum((m) => m.clv as number, rate * perPurchase * share),
        );
      });
      expect(rateCarries).toBe(ids.length);
    });
  }

  test("a three-member bundle still loads and serves its three-member blend", async () => {
    const [now, before] = [await forecast(app, 39), await forecast(oldApp, 39)];
    before.forEach((models, j) => {
      const { x } = summaryOf.get(ids[j] as string) as { x: number };
      const w = RATE_WEIGHTS[frequencySegment(x)] as number[];
      for (const m of ["bgnbd", "pareto_nbd", "gbdt"]) expect(models[m]).toEqual(now[j]?.[m]);
      const f = (m: string) => (models[m] as Figures).expected_purchases;
      close(
        (models.blend as Figures).expected_purchases,
        (w[0] ?? 0) * f("bgnbd") + (w[1] ?? 0) * f("pareto_nbd") + (w[2] ?? 0) * f("gbdt"),
      );
    });
  });
});
