// Test support: a small real Hono app that serves the POST /forecast contract with known
// figures, standing in for the remote forecast service where a test needs to control it
// (known numbers, outages, slowness). Not used by the service itself.
import { Hono } from "hono";
import type { CustomerInput, ForecastRequest } from "../forecast-client/forecast-contract.ts";

export interface StubCustomer {
  /** null: figures the models could not compute (what a broken forecast might answer). */
  expected_purchases: number | null;
  p_alive: number | null;
}

export interface ForecastStubOptions {
  /** Customers known by id (per week of horizon the figures scale linearly). */
  known?: Record<string, StubCustomer>;
  model?: { name: string; version: number };
  /** Set `mode` to make the stub misbehave: answer 503, hang, or answer garbage. */
  mode?: "ok" | "down" | "hang" | "garbage";
}

/** Weekly rate from a summary: frequency / T (T in weeks), P(alive) from recency / T. */
function fromSummary(summary: NonNullable<CustomerInput["summary"]>, weeks: number): StubCustomer {
  const rate = summary.T > 0 ? summary.frequency / summary.T : 0;
  return {
    expected_purchases: rate * weeks,
    p_alive: summary.T > 0 ? summary.recency / summary.T : 1,
  };
}

export function forecastContractStub(options: ForecastStubOptions = {}) {
  const state = { mode: options.mode ?? "ok", calls: 0 };
  const model = options.model ?? { name: "purchase", version: 3 };
  const app = new Hono();
  app.post("/forecast", async (c) => {
    state.calls++;
    if (state.mode === "down")
      return c.json({ error: { code: "not_ready", message: "down" } }, 503);
    if (state.mode === "hang") await new Promise(() => {});
    if (state.mode === "garbage") return c.text("<html>oops</html>", 200);
    const body = (await c.req.json()) as ForecastRequest;
    const weeks = body.horizon.unit === "week" ? body.horizon.value : body.horizon.value / 7;
    const forecasts = body.customers.map((customer) => {
      const known = options.known?.[customer.id];
      const figures = customer.summary
        ? fromSummary(customer.summary, weeks)
        : known
          ? {
              expected_purchases:
                known.expected_purchases === null ? null : (known.expected_purchases * weeks) / 13,
              p_alive: known.p_alive,
            }
          : null;
      if (!figures) {
        return {
          id: customer.id,
          error: { code: "unknown_customer", message: `no customer "${customer.id}"` },
        };
      }
      const bgnbd = { ...figures, p_purchase: 0.5, expected_spend: 10, clv: 9 };
      return {
        id: customer.id,
        recommended: "bgnbd",
        models: {
          bgnbd,
          pareto_nbd: {
            ...bgnbd,
            expected_purchases:
              figures.expected_purchases === null ? null : figures.expected_purchases * 1.1,
          },
        },
      };
    });
    return c.json({ model, horizon: body.horizon, forecasts });
  });
  app.get("/health", (c) => c.json({ status: "ok" }));
  return { app, state };
}
