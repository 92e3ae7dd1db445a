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

type Fields = Record<string, unknown>;

/** A JSON object zod reads as it is (an own `__proto__` key zod drops: left to zod). */
const isFields = (v: unknown): v is Fields =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !Object.hasOwn(v, "__proto__");
const isNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);
const isFigure = (v: unknown) => v === undefined || v === null || isNumber(v);
const FIGURES = ["expected_purchases", "p_alive", "p_purchase", "expected_spend", "clv"];

function isModelFigures(v: unknown): boolean {
  if (!isFields(v)) return false;
  for (const key of FIGURES) if (!isFigure(v[key])) return false;
  return true;
}

function isCustomerForecast(v: unknown): boolean {
  if (!isFields(v) || typeof v.id !== "string") return false;
  if (v.recommended !== undefined && typeof v.recommended !== "string") return false;
  const { models, error } = v;
  if (models !== undefined) {
    if (!isFields(models)) return false;
    for (const key in models) if (!isModelFigures(models[key])) return false;
  }
  if (error === undefined) return true;
  return isFields(error) && typeof error.code === "string" && typeof error.message === "string";
}

function isModel(v: unknown): boolean {
  return (
    isFields(v) &&
    typeof v.name === "string" &&
    Number.isSafeInteger(v.version) &&
    (v.ids_lower_cased === undefined || typeof v.ids_lower_cased === "boolean")
  );
}

/**
 * A /forecast answer read against forecastResponseSchema. An answer of the usual shape, which the
 * schema passes unchanged (it transforms nothing), is checked here by hand and taken as it is:
 * zod copied every object of a 1,000-customer answer, ~11 ms, a fifth of a batch's CPU time. Only
 * answers the schema certainly accepts pass this check; anything else, zod reads (and names the
 * issue). forecast-contract.test.ts holds both readings equal.
 */
export function readForecastResponse(json: unknown): z.ZodSafeParseResult<ForecastResponse> {
  if (isFields(json) && isModel(json.model) && Array.isArray(json.forecasts)) {
    if (json.forecasts.every(isCustomerForecast)) {
      return { success: true, data: json as ForecastResponse };
    }
  }
  return forecastResponseSchema.safeParse(json);
}
