// readForecastResponse, the hand check in front of forecastResponseSchema: for every answer it
// reads (usual, unusual, broken in each field), the same verdict, data and issue as zod alone.
import { describe, expect, test } from "bun:test";
import { forecastResponseSchema, readForecastResponse } from "./forecast-contract.ts";

const usual = () => ({
  model: { name: "demo", version: 3, ids_lower_cased: false, trained_at: "2026-01-01" },
  forecasts: [
    {
      id: "c1",
      recommended: "bgnbd",
      models: {
        bgnbd: { expected_purchases: 1.5, p_alive: 0.9, p_purchase: 0.6, clv: 12, extra: "x" },
        gbdt: { expected_purchases: null, p_alive: null },
      },
      intervals: { low: 1 },
    },
    { id: "c2", error: { code: "unknown_customer", message: "no such customer", hint: 1 } },
    { id: "c3" },
  ],
  took_ms: 4,
});

/** Each answer with one field changed: a wrong type, null, absent, out of range, `__proto__`. */
function variants(): unknown[] {
  const bad = [null, undefined, "1", 1.5, -0, 2 ** 53, Number.NaN, true, [], {}, [1]];
  const out: unknown[] = [usual(), null, [], "x", 1, {}];
  const edits: Array<(a: ReturnType<typeof usual>, v: unknown) => void> = [
    (a, v) => Object.assign(a, { model: v }),
    (a, v) => Object.assign(a.model, { name: v }),
    (a, v) => Object.assign(a.model, { version: v }),
    (a, v) => Object.assign(a.model, { ids_lower_cased: v }),
    (a, v) => Object.assign(a, { forecasts: v }),
    (a, v) => Object.assign(a.forecasts, { 1: v }),
    (a, v) => Object.assign(a.forecasts[0] as object, { id: v }),
    (a, v) => Object.assign(a.forecasts[0] as object, { recommended: v }),
    (a, v) => Object.assign(a.forecasts[0] as object, { models: v }),
    (a, v) => Object.assign(a.forecasts[0]?.models ?? {}, { bgnbd: v }),
    (a, v) => Object.assign(a.forecasts[0]?.models?.bgnbd ?? {}, { expected_purchases: v }),
    (a, v) => Object.assign(a.forecasts[0]?.models?.bgnbd ?? {}, { clv: v }),
    (a, v) => Object.assign(a.forecasts[1] as object, { error: v }),
    (a, v) => Object.assign(a.forecasts[1]?.error ?? {}, { code: v }),
    (a, v) => Object.assign(a.forecasts[1]?.error ?? {}, { message: v }),
  ];
  for (const edit of edits) {
    for (const value of bad) {
      const answer = usual();
      edit(answer, value);
      out.push(answer);
    }
  }
  for (const at of ['{"__proto__": {"x": 1}, ', '{"models": {"__proto__": {"clv": 1}}, ']) {
    out.push(JSON.parse(JSON.stringify(usual()).replace('{"id":"c3"', `${at}"id":"c3"`)));
  }
  return out;
}

describe("readForecastResponse", () => {
  test("the same verdict, data and first issue as forecastResponseSchema, for every variant", () => {
    const all = variants();
    let accepted = 0;
    for (const answer of all) {
      const fast = readForecastResponse(answer);
      const zod = forecastResponseSchema.safeParse(answer);
      expect(fast.success).toBe(zod.success);
      if (fast.success && zod.success) {
        accepted++;
        expect(JSON.stringify(sorted(fast.data))).toBe(JSON.stringify(sorted(zod.data)));
      } else {
        expect(fast.error?.issues[0]).toEqual(zod.error?.issues[0]);
      }
    }
    // Both kinds were read: answers it takes as they are and answers zod refuses.
    expect(accepted).toBeGreaterThan(10);
    expect(all.length - accepted).toBeGreaterThan(50);
  });

  test("an answer of the usual shape is taken as it is, not copied", () => {
    const answer = usual();
    const read = readForecastResponse(answer);
    expect(read.success && read.data).toBe(answer as never);
  });
});

/** The value with every object's keys in order (zod's copy lists declared keys first). */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, {
      value: sorted((value as Record<string, unknown>)[key]),
      enumerable: true,
    });
  }
  return out;
}
