// The slice of the forecast service's POST /forecast contract the decision service relies on:
// how a customer and a horizon are sent, and which per-model figures come back.
import { z } from "zod";

const finiteNonNegative = z.number().finite().min(0);

/** A customer in any form `/forecast` accepts: by id, by summary, or by its transactions. */
export const customerInputSchema = z
  .object({
    id: z.string().min(1, { error: "must be a non-empty string" }).max(256),
    summary: z
      .object({
        frequency: finiteNonNegative,
        recency: finiteNonNegative,
        T: finiteNonNegative,
        monetary: finiteNonNegative.optional(),
      })
      .refine((s) => s.recency <= s.T, { error: "recency must not exceed T", path: ["recency"] })
      .optional(),
    transactions: z
      .array(
        z.object({
          at: z.string().regex(/^\d{4}-\d{2}-\d{2}/, { error: "must be a date YYYY-MM-DD" }),
          amount: finiteNonNegative.optional(),
        }),
      )
      .min(1)
      .max(100_000)
      .optional(),
  })
  .refine((c) => !(c.summary && c.transactions), {
    error: "give either summary or transactions, not both",
  });
export type CustomerInput = z.output<typeof customerInputSchema>;

export const horizonSchema = z.object({
  value: z.number().finite().positive({ error: "must be > 0" }).max(520),
  unit: z.enum(["day", "week"], { error: 'must be "day" or "week"' }),
});
export type Horizon = z.output<typeof horizonSchema>;

export interface ForecastRequest {
  horizon: Horizon;
  customers: CustomerInput[];
  discount_rate?: number;
}

const modelFiguresSchema = z
  .object({
    // null: the model could not compute the figure for this customer (that customer fails,
    // not the call: garbage figures must never count against the forecast service).
    expected_purchases: z.number().nullable().optional(),
    p_alive: z.number().nullable().optional(),
    p_purchase: z.number().nullable().optional(),
    expected_spend: z.number().nullable().optional(),
    clv: z.number().nullable().optional(),
  })
  .loose();
export type ModelFigures = z.output<typeof modelFiguresSchema>;

const customerForecastSchema = z
  .object({
    id: z.string(),
    recommended: z.string().optional(),
    models: z.record(z.string(), modelFiguresSchema).optional(),
    error: z.object({ code: z.string(), message: z.string() }).loose().optional(),
  })
  .loose();
export type CustomerForecast = z.output<typeof customerForecastSchema>;

/** What the decision service reads from a `/forecast` answer (extra fields are ignored). */
export const forecastResponseSchema = z
  .object({
    model: z.object({ name: z.string(), version: z.number().int() }).loose(),
    forecasts: z.array(customerForecastSchema),
  })
  .loose();
export type ForecastResponse = z.output<typeof forecastResponseSchema>;
