// The slice of the forecast service's POST /forecast contract the decision service relies on:
// how a customer and a horizon are sent, and which per-model figures come back.
import * as z from "zod";

/** A customer in any form `/forecast` accepts (by id, summary or transactions) and a horizon:
 * forecast's own schemas, so decision accepts exactly what forecast accepts. */
export {
  customerSchema as customerInputSchema,
  horizonSchema,
} from "@pp/shared/contracts/forecast-request.ts";

import type { customerSchema, horizonSchema } from "@pp/shared/contracts/forecast-request.ts";

export type CustomerInput = z.output<typeof customerSchema>;
type Horizon = z.output<typeof horizonSchema>;

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
    model: z
      .object({
        name: z.string(),
        version: z.number().int(),
        // Absent from an older forecast service: nothing is learnt (decision-id-case.ts).
        ids_lower_cased: z.boolean().optional(),
      })
      .loose(),
    forecasts: z.array(customerForecastSchema),
  })
  .loose();
export type ForecastResponse = z.output<typeof forecastResponseSchema>;
