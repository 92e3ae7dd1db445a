// Request bodies of POST /decision and POST /decision/batch (zod; errors name the field).

import { CAMPAIGN_ID_PATTERN, CAMPAIGN_ID_RULE } from "@pp/shared/campaigns/campaign-id.ts";
import {
  MAX_AMOUNT,
  MAX_CUSTOMER_ID_LENGTH,
  nfcCustomerId,
} from "@pp/shared/contracts/forecast-request.ts";
import { typeError } from "@pp/shared/errors/null-fields.ts";
import { actionIdSchema } from "@pp/shared/policy/action-id.ts";
import { MAX_EXPLORATION_SHARE } from "@pp/shared/policy/exploration.ts";
import { upliftSchema } from "@pp/shared/policy/policy-definition.ts";
import * as z from "zod";
import { customerInputSchema, horizonSchema } from "../forecast-client/forecast-contract.ts";

const money = z
  .number({ error: "must be a number" })
  .finite({ error: "must be finite" })
  .min(0, { error: "must be ≥ 0" });
/**
 * An action's cost and margin: at most MAX_AMOUNT (1e12, the bound of a purchase's amount).
 * Unbounded, a margin of 1.8e308 made expected profits Infinity, answered and logged as null (and
 * chosen), and a batch dropped those customers silently. Within it, profits and batch totals stay
 * far inside double range (≤ 1,826 purchases × uplift 100 × 1e12 per customer). The budget stays
 * unbounded: 1e308 means "no limit".
 */
const amount = money.max(MAX_AMOUNT, { error: `must be ≤ ${MAX_AMOUNT}` });

// Unknown fields are refused, as /forecast does: a typo such as "upflit" or "controlShare" was
// dropped without a word and the default used instead.
const actionSchema = z.strictObject({
  // The same rule as a new policy's action ids (shared/policy/action-id.ts).
  id: actionIdSchema(),
  cost: amount,
  uplift: upliftSchema,
  margin: amount,
});

/**
 * Each id once: a repeat is an issue at its place (an action listed twice, a customer twice).
 * With `key`, ids of one key are one (a customer id's NFC and NFD spellings).
 */
const distinctIds =
  (what: string, key: (id: string) => string = (id) => id) =>
  (items: ReadonlyArray<{ id: string }>, ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item.id);
      const first = seen.get(k);
      if (first !== undefined) {
        const spelling =
          items[first]?.id === item.id
            ? ""
            : `: ${what}s.${first} in another Unicode spelling (composed/decomposed), the same ${what}`;
        ctx.addIssue({
          code: "custom",
          path: [i, "id"],
          message: `duplicate ${what} id "${item.id}"${spelling}`,
        });
      } else seen.set(k, i);
    });
  };

// At least one: with none listed, /decision answered `none` (and logged it) where the batch refused.
const actionsSchema = z
  .array(actionSchema)
  .min(1, { error: "at least one action (doing nothing, none, is always weighed beside them)" })
  .max(50, { error: "at most 50 actions" })
  // Ids are NFC by now (actionIdSchema): "café" composed and decomposed are one action, listed twice.
  .superRefine(distinctIds("action"));

/** A campaign to join (control group held out by a keyed hash) and its control share. */
export const campaignFields = {
  campaign: z
    .string({ error: typeError("a string", "a campaign id string") })
    .regex(CAMPAIGN_ID_PATTERN, { error: CAMPAIGN_ID_RULE })
    .optional(),
  control_share: z
    .number({ error: typeError("a number", "a number from 0 to 0.5") })
    .min(0, { error: "must be ≥ 0" })
    .max(0.5, { error: "must be ≤ 0.5" })
    .optional(),
};

const shareNeedsCampaign = (body: { campaign?: string; control_share?: number }) =>
  body.control_share === undefined || body.campaign !== undefined;
const shareNeedsCampaignError = {
  error: "control_share needs a campaign",
  path: ["control_share"],
};

/**
 * A customer whose decisions are logged: `.` and `..` are refused, since no URL path can name
 * them (/admin/customers/../decisions is /admin/decisions to every client and server), so their
 * logged decisions could be neither looked up nor erased.
 */
const DOT_SEGMENTS = new Set([".", ".."]);
const loggableCustomer = customerInputSchema.refine((c) => !DOT_SEGMENTS.has(c.id), {
  error: 'cannot be "." or "..": no URL path names such a customer, to look up or erase',
  path: ["id"],
});

export const decisionRequestSchema = z
  .strictObject({
    customer: loggableCustomer,
    horizon: horizonSchema,
    actions: actionsSchema,
    ...campaignFields,
  })
  .refine(shareNeedsCampaign, shareNeedsCampaignError);
export type DecisionRequest = z.output<typeof decisionRequestSchema>;

export const MAX_BATCH_CUSTOMERS = 10_000;

export const batchRequestSchema = z
  .strictObject({
    customers: z
      .array(loggableCustomer)
      .min(1, { error: "at least one customer" })
      .max(MAX_BATCH_CUSTOMERS, { error: `at most ${MAX_BATCH_CUSTOMERS} customers` })
      // Each customer gets at most one action: listed twice, they were selected (and paid) twice;
      // "José" composed and decomposed too, one customer to /forecast and the campaign split.
      .superRefine(distinctIds("customer", nfcCustomerId)),
    horizon: horizonSchema,
    // .min, not a refine: the document's minItems comes from it (a refine does not show there).
    actions: actionsSchema,
    budget: money,
    ...campaignFields,
    // The campaign's exploration share (shared/policy/exploration.ts); 0, the default, explores nothing.
    exploration_share: z
      .number({ error: typeError("a number", "a number from 0 to 0.5") })
      .min(0, { error: "must be ≥ 0" })
      .max(MAX_EXPLORATION_SHARE, { error: `must be ≤ ${MAX_EXPLORATION_SHARE}` })
      .optional(),
  })
  .refine(shareNeedsCampaign, shareNeedsCampaignError)
  .refine((b) => b.exploration_share === undefined || b.campaign !== undefined, {
    error: "exploration_share needs a campaign",
    path: ["exploration_share"],
  });
export type BatchRequest = z.output<typeof batchRequestSchema>;

/**
 * batchRequestSchema's output for the usual batch, customers by id only ({"id": ...}), with the
 * customers checked by hand and the rest by the schema (a body of one customer): zod took ~7 ms
 * of a 1,000-customer batch for its customers. Anything else (a summary, transactions, an id it
 * would refuse, a repeat) returns undefined and the whole body goes through the schema, which
 * names the errors. What this accepts, the schema accepts with the same output, key order
 * included (batch-request-fast-path.test.ts).
 */
export function batchRequestFastPath(value: unknown): BatchRequest | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const list: unknown = (value as { customers?: unknown }).customers;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_BATCH_CUSTOMERS) {
    return undefined;
  }
  const customers = idOnlyCustomers(list);
  if (!customers) return undefined;
  const rest = batchRequestSchema.safeParse({ ...value, customers: [customers[0]] });
  return rest.success ? { ...rest.data, customers } : undefined;
}

/** The customers as the schema outputs them when each is {"id": ...} it accepts, else null. */
function idOnlyCustomers(list: unknown[]): Array<{ id: string }> | null {
  const out: Array<{ id: string }> = new Array(list.length);
  const seen = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const c: unknown = list[i];
    if (typeof c !== "object" || c === null || Array.isArray(c)) return null;
    for (const key in c) if (key !== "id" || !Object.hasOwn(c, key)) return null;
    const id: unknown = (c as { id?: unknown }).id;
    if (typeof id !== "string" || id.length < 1 || id.length > MAX_CUSTOMER_ID_LENGTH) return null;
    if (DOT_SEGMENTS.has(id)) return null;
    const key = nfcCustomerId(id);
    if (seen.has(key)) return null;
    seen.add(key);
    out[i] = { id };
  }
  return out;
}
