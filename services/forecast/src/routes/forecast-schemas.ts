// The zod schemas of POST /forecast: the request (validated, with errors per field) and the
// response (documentation only: /openapi.json is generated from both).

import {
  asOfDate,
  customerSchema,
  horizonSchema,
  MAX_HORIZON_DAYS,
  MAX_TRANSACTIONS_PER_CUSTOMER,
  type summarySchema,
} from "@pp/shared/contracts/forecast-request.ts";
import { typeError } from "@pp/shared/errors/null-fields.ts";
import * as z from "zod";

export const MAX_CUSTOMERS = 10_000;

export { MAX_HORIZON_DAYS, MAX_TRANSACTIONS_PER_CUSTOMER };

/** Interval levels, e.g. [0.8, 0.95]: each in (0, 1), distinct, at most 5. */
const intervalLevelsSchema = z
  .array(
    z
      .number({ error: "must be a number" })
      .gt(0, { error: "must be > 0 (a level such as 0.8)" })
      .lt(1, { error: "must be < 1 (a level such as 0.95)" }),
    { error: typeError("an array of levels such as [0.8, 0.95]") },
  )
  .min(1, { error: "must hold at least one level" })
  .max(5, { error: "at most 5 levels" })
  .refine((levels) => new Set(levels).size === levels.length, { error: "levels must be distinct" })
  // uniqueItems: the document says what the refine enforces (a refine does not show there).
  .meta({
    description:
      "Central prediction intervals to add per model, e.g. [0.8, 0.95]: purchases, spend and CLV.",
    uniqueItems: true,
  });

export const forecastRequestSchema = z.strictObject({
  horizon: horizonSchema,
  discount_rate: z
    .number({ error: typeError("a number", "a number from 0 to 10") })
    .min(0, { error: "must be >= 0" })
    .max(10, { error: "must be <= 10 (an annual rate; 0.1 is 10%)" })
    .default(0)
    .describe("Annual discount rate for CLV (0.1 = 10% a year); default 0."),
  as_of: asOfDate
    .optional()
    .describe(
      "Cutoff for customers given by transactions (later ones are ignored). Default: the model's calibration end when every transaction is on or before it, else the customer's last transaction day.",
    ),
  customers: z
    .array(customerSchema)
    .min(1, { error: "must hold at least one customer" })
    .max(MAX_CUSTOMERS, { error: `at most ${MAX_CUSTOMERS} customers per request` }),
  intervals: intervalLevelsSchema.optional(),
  distribution: z
    .boolean({ error: typeError("true or false") })
    .optional()
    .describe("Also return each model's P(X = k) for the horizon (pmf up to 1 − 1e-6, and tail)."),
});

export type ForecastRequest = z.output<typeof forecastRequestSchema>;
export type SummaryRequest = z.output<typeof summarySchema>;

const probability = z.number().min(0).max(1);
const money = z.number().nullable().describe("null without a spend model (Gamma-Gamma).");
/** An interval bound rounded to 6 decimals; null where it is not finite. */
const bound = z.number().nullable();

const modelForecastSchema = z.object({
  expected_purchases: z.number().describe("Expected purchases in the horizon."),
  p_alive: probability.describe("P(the customer is still active now)."),
  p_purchase: probability.describe("P(at least one purchase in the horizon)."),
  expected_spend: money.describe("expected_purchases × Gamma-Gamma expected spend per purchase."),
  clv: money.describe("Spend over the horizon discounted week by week at discount_rate."),
  intervals: z
    .record(
      z.string(),
      z.object({
        purchases: z.tuple([bound, bound]),
        spend: z.tuple([bound, bound]).nullable(),
        clv: z.tuple([bound, bound]).nullable(),
      }),
    )
    .optional()
    .describe(
      "Per requested level: [lo, hi] of purchases (integers, conservative: each tail ≤ (1 − level)/2; hi null if beyond the computed support), of spend (total order value in the horizon) and of CLV (spend interval × discount share). Bounds are null where the customer has no interval.",
    ),
  intervals_unavailable: z
    .string()
    .optional()
    .describe("Why this model has no intervals in the served bundle (intervals asked for)."),
  distribution: z
    .object({ pmf: z.array(z.number()), tail: z.number() })
    .nullable()
    .optional()
    .describe("P(X = k) for k = 0, 1, … and the mass beyond (with distribution: true)."),
});

const gbdtForecastSchema = modelForecastSchema.extend({
  predicted_spend: z
    .number()
    .nullable()
    .describe("The GBDT spend regression's own prediction of spend over the horizon."),
  horizon_scaled: z
    .boolean()
    .describe(
      "True when the horizon differs from the GBDT's trained one: counts and spend were scaled by BG/NBD's E[X(h)]/E[X(H)], p_purchase carried by the exponent that carries BG/NBD's P(purchase) from H to h.",
    ),
});

const forecastAnswerSchema = z.object({
  id: z.string(),
  basis: z.enum(["id", "summary", "transactions"]),
  as_of: z.string().optional().describe("The cutoff used (transaction customers)."),
  summary: z.object({
    frequency: z.number(),
    recency: z.number(),
    T: z.number(),
    monetary: z.number().nullable(),
  }),
  recommended: z.enum(["gbdt", "bgnbd", "pareto_nbd", "blend"]),
  models: z.object({
    bgnbd: modelForecastSchema,
    pareto_nbd: modelForecastSchema,
    gbdt: gbdtForecastSchema
      .optional()
      .describe("Absent without a feature vector (summary input)."),
    blend: modelForecastSchema
      .optional()
      .describe(
        "The trained out-of-fold stack of the three per frequency segment; absent without GBDT.",
      ),
  }),
});

export const itemErrorSchema = z.object({
  code: z.enum([
    "unknown_customer",
    "no_transactions_before_as_of",
    "invalid_customer",
    "not_computable",
  ]),
  message: z.string(),
});

const forecastItemSchema = z.union([
  forecastAnswerSchema,
  z.object({ id: z.string(), error: itemErrorSchema }),
]);

export const forecastResponseSchema = z.object({
  model: z.object({
    name: z.string(),
    version: z.number().int(),
    ids_lower_cased: z
      .boolean()
      .describe(
        "The model reads customer ids lower-cased (trained with --ignore-id-case): User@X.org and user@x.org are one customer",
      ),
  }),
  horizon: z.object({ value: z.number(), unit: z.enum(["day", "week"]) }),
  horizon_model_units: z.number(),
  time_unit: z.enum(["day", "week"]),
  discount_rate: z.number(),
  generated_at: z.string().describe("When the forecast was made (ISO 8601)."),
  forecasts: z.array(forecastItemSchema),
});

// The answer's types, for building it without parsing it (a parse would cost more than the answer).
export type ForecastResponse = z.input<typeof forecastResponseSchema>;
export type ForecastItem = z.input<typeof forecastItemSchema>;
export type ForecastModels = z.input<typeof forecastAnswerSchema>["models"];
export type ModelForecast = z.input<typeof modelForecastSchema>;
export type GbdtForecast = z.input<typeof gbdtForecastSchema>;
export type ItemErrorJson = z.input<typeof itemErrorSchema>;
export type RecommendedModel = z.input<typeof forecastAnswerSchema>["recommended"];
