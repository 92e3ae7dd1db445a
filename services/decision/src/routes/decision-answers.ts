// Answers of POST /decision and POST /decision/batch (zod, for /openapi.json and the handlers' types).
import * as z from "zod";

const versionOf = z.object({ name: z.string(), version: z.number().int() });
const fallbackSchema = z
  .object({ reason: z.string(), message: z.string() })
  .describe("Present when the forecast was unavailable and the policy's default action was used");

/** JSON has no Infinity or NaN: a profit that is not finite is answered as null. */
const profit = z.number().nullable();

const rankedActionSchema = z.object({
  id: z.string(),
  expected_profit: profit,
  eligible: z.boolean(),
  reasons: z.array(z.string()),
  cost: z.number(),
});

export const decisionAnswerSchema = z.object({
  decision_id: z.string(),
  customer_id: z.string(),
  chosen: z.string().describe('The chosen action\'s id ("none": no action)'),
  ranked: z.array(rankedActionSchema).describe("Eligible actions first, then by expected profit"),
  policy: versionOf,
  model: versionOf.nullable(),
  forecast: z
    .object({ model: z.string(), expected_purchases: z.number(), p_alive: z.number().nullable() })
    .nullable(),
  fallback: fallbackSchema.optional(),
  campaign: z
    .object({
      id: z.string(),
      control_share: z.number(),
      group: z.enum(["treated", "control"]),
      would_have_action: z.string(),
    })
    .optional(),
});
export type DecisionAnswerJson = z.infer<typeof decisionAnswerSchema>;

const itemError = z.object({ code: z.string(), message: z.string() });

export const batchAnswerSchema = z.object({
  batch_id: z.string(),
  selected: z.array(
    z.object({
      id: z.string(),
      action: z.string(),
      cost: z.number(),
      expected_profit: z.number(),
      decision_id: z.string(),
    }),
  ),
  totals: z.object({ customers: z.number().int(), cost: z.number(), expected_profit: z.number() }),
  selection: z.object({
    method: z.string(),
    exact: z.boolean(),
    budget: z.number(),
    lp_upper_bound: z.number(),
    gap: z.number(),
    bound: z.string(),
  }),
  considered: z.number().int(),
  errors: z.array(z.object({ id: z.string(), error: itemError })),
  policy: versionOf,
  model: versionOf.nullable(),
  fallback: fallbackSchema.optional(),
  campaign: z
    .object({
      id: z.string(),
      control_share: z.number(),
      groups: z.object({ treated: z.number().int(), control: z.number().int() }),
      control: z.array(
        z.object({
          id: z.string(),
          reason: z.string(),
          would_have_action: z.string(),
          decision_id: z.string(),
        }),
      ),
      exploration: z.object({ share: z.number(), explored: z.number().int() }).optional(),
    })
    .optional(),
});
export type BatchAnswerJson = z.infer<typeof batchAnswerSchema>;
