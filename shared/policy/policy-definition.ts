// What a policy is, as stored (versioned) in the `policies` table: how profit is computed,
// which model's forecast to use, the eligibility rules, the default action and what to do
// when the forecast is unavailable.
//
// Two schemas, one shape. A *stored* definition is read with the rules the engine needs to run
// it (storedPolicyDefinitionSchema): every definition a release ever stored must keep loading,
// or an upgrade stops every decision (a 51-action rule scope stored before the limits of
// 2026-12-05 made every /decision a 503 "invalid definition" after the upgrade). A *new* one
// (parseNewPolicyDefinition) is also held to the limits and checks added since: they apply when
// a policy is added, never when a stored one is read.
import * as z from "zod";
import { STORED_CAMPAIGN_ID_MAX } from "../campaigns/campaign-id.ts";
import { isPlainObject, unknownFields } from "../errors/unknown-fields.ts";
import { actionIdSchema, nfcActionId } from "./action-id.ts";

export const profitModels = ["expected-profit", "lapsing-uplift"] as const;
export type ProfitModel = (typeof profitModels)[number];

export const forecastModels = ["recommended", "bgnbd", "pareto_nbd", "gbdt", "blend"] as const;

/** Most actions a new definition's rule may list. */
export const MAX_SCOPE_ACTIONS = 50;

/** How a schema takes the action ids a definition names (rule scopes, default, uplift keys). */
interface ActionIdRules {
  id: z.ZodType<string>;
  /** A rule's `actions` list. */
  scope: z.ZodType<string[]>;
  defaultAction: z.ZodType<string>;
}

/**
 * As every release stored them: any non-empty text, lists of any length; read in NFC, as requests'
 * action ids are, so a policy stored naming "café" decomposed still matches.
 */
const storedId = z.string().overwrite(nfcActionId).min(1);
const storedIds: ActionIdRules = {
  id: storedId,
  scope: z.array(storedId).min(1),
  defaultAction: storedId,
};

/**
 * What a new definition may name: ids a request's actions can carry (/decision's rule, at most
 * 128 characters, not reading as none), at most 50 a rule; the default action may be none.
 */
const newIds: ActionIdRules = {
  id: actionIdSchema(),
  scope: z.array(actionIdSchema()).min(1).max(MAX_SCOPE_ACTIONS).superRefine(noRepeatedIds),
  defaultAction: actionIdSchema({ allowNone: true }),
};

/**
 * Each action once in a rule's scope, as /decision takes each action once: `["email", "email"]`
 * was stored as written, a slip (a second id mistyped as the first) the admin was never told of.
 */
function noRepeatedIds(ids: readonly string[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  ids.forEach((id, i) => {
    const at = first.get(id);
    if (at === undefined) first.set(id, i);
    else
      ctx.addIssue({
        code: "custom",
        path: [i],
        message: `duplicate action id "${id}" (also at actions.${at} of this rule)`,
      });
  });
}

// The API's wording for a range, as the decision routes have it (decision-schemas.ts).
const atLeast = (n: number) => ({ error: `must be ≥ ${n}` });
const atMost = (n: number) => ({ error: `must be ≤ ${n}` });
const share = () => z.number({ error: "must be a number" }).min(0, atLeast(0)).max(1, atMost(1));

const threshold = z.number({ error: "must be a number" }).finite({ error: "must be finite" });

function eligibilityRuleSchema(ids: ActionIdRules) {
  /** Rules apply to every action unless `actions` lists the ones they cover. */
  const scope = { actions: ids.scope.optional() };
  return z.discriminatedUnion("rule", [
    z.object({ rule: z.literal("max_cost"), value: threshold.min(0, atLeast(0)), ...scope }),
    z.object({
      rule: z.literal("min_p_alive"),
      value: threshold.min(0, atLeast(0)).max(1, atMost(1)),
      ...scope,
    }),
    z.object({
      rule: z.literal("max_p_alive"),
      value: threshold.min(0, atLeast(0)).max(1, atMost(1)),
      ...scope,
    }),
    z.object({
      rule: z.literal("min_expected_purchases"),
      value: threshold.min(0, atLeast(0)),
      ...scope,
    }),
    z.object({ rule: z.literal("min_expected_profit"), value: threshold, ...scope }),
    z.object({ rule: z.literal("min_roi"), value: threshold, ...scope }),
  ]);
}
export type EligibilityRule = z.output<ReturnType<typeof eligibilityRuleSchema>>;

/** An uplift: a relative change in purchases, from −1 (none left) to 100 (101 times as many). */
export const upliftSchema = z
  .number({ error: "must be a number" })
  .finite({ error: "must be finite" })
  .min(-1, { error: "must be ≥ -1 (-1 is every purchase lost)" })
  .max(100, { error: "must be ≤ 100 (101 times the purchases)" });

/** Most reports an uplift's `learned_from` lists (learn drops the oldest past it, and says so). */
export const MAX_LEARNED_FROM = 100;

/**
 * One campaign report an uplift was learned from, as `ml campaign learn` writes it and reads it
 * back before learning again (a report learned twice counts its customers twice). Structured, not
 * parsed out of `source`: a campaign id holding " | " split there, a long lineage was cut at
 * source's 1,000 characters (and its oldest reports learned again), an edit lost them all.
 */
export const learnedReportSchema = z.object({
  /** Any id the decision log may hold: campaigns logged before the id rule keep theirs. */
  campaign: z.string().min(1).max(STORED_CAMPAIGN_ID_MAX),
  /** The report's window end (YYYY-MM-DD). */
  window_end: z.iso.date({ error: "must be a date (YYYY-MM-DD)" }),
  /** When the report was run (ISO 8601, UTC). */
  reported_at: z.iso.datetime({ error: "must be an ISO 8601 UTC time" }),
});
export type LearnedReport = z.output<typeof learnedReportSchema>;

/** A measured uplift for one action (`ml campaign learn`), optionally per P(alive) segment. */
export const actionUpliftSchema = z.object({
  uplift: upliftSchema,
  /** Segments [min, max) of P(alive) (max = 1 includes 1); the first match wins. */
  by_p_alive: z
    .array(
      z.object({
        min: share(),
        max: share(),
        uplift: upliftSchema,
      }),
    )
    .max(20)
    .optional(),
  /** Where the figure comes from, e.g. the campaign and the shrinkage used. */
  source: z.string().max(1000).optional(),
  /** The reports the figure was learned from, newest first (written by `ml campaign learn`). */
  learned_from: z.array(learnedReportSchema).max(MAX_LEARNED_FROM).optional(),
});
export type ActionUplift = z.output<typeof actionUpliftSchema>;

function definitionSchema(ids: ActionIdRules) {
  return z.object({
    description: z.string().max(1000, { error: "must be at most 1000 characters" }).optional(),
    /** How an action's expected incremental profit is computed (see expected-profit.ts). */
    profit_model: z.enum(profitModels).default("expected-profit"),
    /** Whose figures to use: the model the forecast service recommends, or a named one. */
    forecast_model: z.enum(forecastModels).default("recommended"),
    rules: z.array(eligibilityRuleSchema(ids)).max(100).default([]),
    /** The action taken when the forecast is unavailable and `on_forecast_unavailable` is fallback. */
    default_action: ids.defaultAction.default("none"),
    on_forecast_unavailable: z.enum(["fail", "fallback"]).default("fail"),
    /** Share of a campaign's customers held out as control when the request does not say. */
    control_share: z
      .number({ error: "must be a number" })
      .min(0, atLeast(0))
      .max(0.5, atMost(0.5))
      .optional(),
    /** Uplifts that replace the caller's `uplift` for these action ids (learned from campaigns). */
    uplifts: z.record(ids.id, actionUpliftSchema).optional(),
  });
}

/**
 * A definition as stored: what the engine needs to run it safely, and nothing added since any
 * release stored one (no bound on the length of ids or of a rule's `actions`: the engine looks
 * scopes up in a set, eligibility.ts). Read every stored definition with this.
 */
export const storedPolicyDefinitionSchema = definitionSchema(storedIds);

/**
 * The schema part of a new definition's checks: ids of at most 128 characters, at most 50
 * actions a rule. Add definitions through parseNewPolicyDefinition, which also runs the checks
 * that look across fields.
 */
export const newPolicyDefinitionSchema = definitionSchema(newIds);

export type PolicyDefinition = z.output<typeof storedPolicyDefinitionSchema>;

/**
 * The segments of a new definition that can match nobody ([min, max) empty, max 1 aside): their
 * uplift would be silently ignored, so adding one is refused. Not part of the schema: a policy
 * stored before this check still loads (an empty segment matches nobody, as it always did).
 */
export function emptyUpliftSegments(definition: PolicyDefinition): Issue[] {
  return Object.entries(definition.uplifts ?? {}).flatMap(([action, uplift]) =>
    (uplift.by_p_alive ?? []).flatMap((s, i) =>
      s.min < s.max || s.max === 1
        ? []
        : [
            {
              path: ["uplifts", action, "by_p_alive", i, "max"],
              message: "must be above min (a segment is [min, max))",
            },
          ],
    ),
  );
}

type Issue = { path: (string | number)[]; message: string };

type Segment = { min: number; max: number };

/**
 * The segments before `s` that together take every P(alive) it covers ([min, max), and 1 when
 * max is 1), by their positions; null when some P(alive) is left to it.
 */
function coveringSegments(s: Segment, before: readonly Segment[]): number[] | null {
  const used: number[] = [];
  let reach = s.min;
  const byMin = before.map((b, j) => ({ ...b, j })).sort((a, b) => a.min - b.min);
  for (const b of byMin) {
    if (b.min > reach) break;
    if (b.max > reach) {
      reach = b.max;
      used.push(b.j);
    }
  }
  if (reach < s.max) return null;
  if (s.max === 1) {
    const one = before.findIndex((b) => b.max === 1);
    if (one < 0) return null;
    if (!used.includes(one)) used.push(one);
  }
  return used.sort((a, b) => a - b);
}

/**
 * Segments of a new definition that the segments before them cover: the first that matches wins,
 * so their uplift would never be used (`[0, 0.5)` then `[0.2, 0.4)` was stored, and P(alive) 0.3
 * got the first's). Empty segments are emptyUpliftSegments'. Not part of the schema either.
 */
export function shadowedUpliftSegments(definition: PolicyDefinition): Issue[] {
  return Object.entries(definition.uplifts ?? {}).flatMap(([action, uplift]) => {
    const segments = uplift.by_p_alive ?? [];
    return segments.flatMap((s, i) => {
      if (!(s.min < s.max || s.max === 1)) return [];
      const covering = coveringSegments(s, segments.slice(0, i));
      if (covering === null) return [];
      const range = `[${s.min}, ${s.max}${s.max === 1 ? "]" : ")"}`;
      const by = covering.map((j) => `by_p_alive.${j}`).join(", ");
      return [
        {
          path: ["uplifts", action, "by_p_alive", i],
          message: `matches nobody: every P(alive) in ${range} is taken by ${by} before it (the first segment that matches wins)`,
        },
      ];
    });
  });
}

/**
 * max_p_alive rules below a min_p_alive rule whose actions they share: no customer passes both,
 * so those actions would never be chosen, silently. Refused when added (not part of the schema,
 * as emptyUpliftSegments, so a policy stored before still loads).
 */
export function contradictoryRules(definition: PolicyDefinition): Issue[] {
  const rules = definition.rules.map((rule, i) => ({ rule, i }));
  const mins = rules.filter((r) => r.rule.rule === "min_p_alive");
  return rules
    .filter((r) => r.rule.rule === "max_p_alive")
    .flatMap(({ rule: max, i }) =>
      mins.flatMap(({ rule: min, i: j }) => {
        const shared = sharedActions(min.actions, max.actions);
        if (min.value <= max.value || shared === null) return [];
        const which = shared === "all" ? "every action" : shared.join(", ");
        return [
          {
            path: ["rules", i, "value"],
            message: `max_p_alive ${max.value} is below min_p_alive ${min.value} (rules.${j}): no customer passes both, so ${which} would never be chosen`,
          },
        ];
      }),
    );
}

/** The actions two rule scopes share: "all" when neither lists any, null when none. */
function sharedActions(a?: string[], b?: string[]): string[] | "all" | null {
  if (a === undefined && b === undefined) return "all";
  const both = a === undefined ? b : b === undefined ? a : a.filter((x) => b.includes(x));
  return both && both.length > 0 ? both : null;
}

/** A new definition, with every check in force now; the issues name fields under the definition. */
export function parseNewPolicyDefinition(
  definition: unknown,
): { success: true; data: PolicyDefinition } | { success: false; issues: Issue[] } {
  const parsed = newPolicyDefinitionSchema.safeParse(definition);
  if (!parsed.success) {
    return {
      success: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path as Issue["path"],
        // A bad uplift key is zod's "Invalid key in record": say what is wrong with it.
        message: i.code === "invalid_key" ? i.issues.map((k) => k.message).join("; ") : i.message,
      })),
    };
  }
  const issues = [
    ...upliftKeySpellings(definition),
    ...unknownFields(withNfcUpliftKeys(definition), parsed.data),
    ...emptyUpliftSegments(parsed.data),
    ...shadowedUpliftSegments(parsed.data),
    ...contradictoryRules(parsed.data),
  ];
  return issues.length > 0 ? { success: false, issues } : { success: true, data: parsed.data };
}

/** The uplifts' keys as parsed (NFC), so a key sent decomposed is not taken for an unknown field. */
function withNfcUpliftKeys(definition: unknown): unknown {
  if (!isPlainObject(definition) || !isPlainObject(definition.uplifts)) return definition;
  const keys = Object.entries(definition.uplifts).map(([k, v]) => [nfcActionId(k), v]);
  return { ...definition, uplifts: Object.fromEntries(keys) };
}

/** Uplift keys naming one action in two Unicode spellings: parsed, one would replace the other. */
function upliftKeySpellings(definition: unknown): Issue[] {
  if (!isPlainObject(definition) || !isPlainObject(definition.uplifts)) return [];
  const first = new Map<string, string>();
  return Object.keys(definition.uplifts).flatMap((key) => {
    const at = first.get(nfcActionId(key));
    if (at === undefined) first.set(nfcActionId(key), key);
    if (at === undefined) return [];
    const message = `"${key}" is "${at}" in another Unicode spelling (composed/decomposed): one action, name it once`;
    return [{ path: ["uplifts", key], message }];
  });
}

/** A policy as the engine uses it: a parsed definition with its name and version. */
export interface ActivePolicy {
  name: string;
  version: number;
  definition: PolicyDefinition;
}

/** A stored policy row as the engine uses it; throws when even the stored schema refuses it. */
export function storedPolicy(row: {
  name: string;
  version: number;
  definition: unknown;
}): ActivePolicy {
  const parsed = storedPolicyDefinitionSchema.safeParse(row.definition);
  if (!parsed.success) {
    throw new Error(`active policy ${row.name} v${row.version} has an invalid definition`);
  }
  return { name: row.name, version: row.version, definition: parsed.data };
}
