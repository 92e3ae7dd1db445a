// Admin API over the decision log (admin scope, checked in app.ts): what is stored about one
// customer (a data-subject request, or "why did they get this offer?"), erasing it, and pruning
// by age (what DECISION_LOG_RETENTION_DAYS does hourly, and the Worker's Cron Trigger):
//   GET    /admin/customers/:id/decisions?limit=&before=&before_id=
//                                                          decisions, newest first, and parked rows
//   DELETE /admin/customers/:id/decisions                  erases both; answers the counts
//   POST   /admin/decision-log/prune {older_than_days}     deletes rows older than that
import { decimalIdParam } from "@pp/shared/contracts/decimal-id.ts";
import type { DecisionLogDeadLetterRow, DecisionLogRow } from "@pp/shared/db/schema.ts";
import { isStorableText, jsonBody, unstorableTextError } from "@pp/shared/errors/validation.ts";
import type { AppEnv } from "@pp/shared/http/app-env.ts";
import { pathParams } from "@pp/shared/http/path-params.ts";
import { queryParams } from "@pp/shared/http/query-params.ts";
import { DecisionLogRepository } from "@pp/shared/registry/decision-log.ts";
import type { Hono, MiddlewareHandler } from "hono";
import * as z from "zod";
import { pruneDecisionLog, RETENTION_DAYS_MAX } from "../audit/decision-log-retention.ts";
import type { DecisionDeps } from "../deps.ts";

export const customerParams = z.object({
  id: z.string().min(1).max(256).refine(isStorableText, unstorableTextError),
});

const FIRST_STORABLE_INSTANT = Date.parse("0001-01-01T00:00:00Z");

// Strict: a misspelt parameter (?limt=5) is a 400 naming it, not the default page.
export const customerDecisionsQuery = z
  .strictObject({
    // Decimal digits, as ids: z.coerce read "0x10" as 16 and "1e3" as 1000.
    limit: decimalIdParam("a number of decisions")
      .pipe(z.number().max(1000, { error: "must be at most 1000" }))
      .default(100)
      .describe("Decisions per page, 1-1000 (100 by default)"),
    before: z.iso
      .datetime({ offset: true, error: "must be an ISO 8601 time, e.g. 2026-11-30T12:00:00Z" })
      // PostgreSQL has no year 0 (JavaScript's 1 BC): 0000-01-01T00:00:00Z was a 500.
      .refine((t) => Date.parse(t) >= FIRST_STORABLE_INSTANT, {
        error: "must be in year 1 or later (UTC)",
      })
      .optional(),
    before_id: z.uuid({ error: "must be a decision id (a UUID)" }).optional(),
  })
  // A cursor is the pair next_page gives: before_id alone would be ignored, and page 1 returned.
  .refine((q) => q.before_id === undefined || q.before !== undefined, {
    path: ["before_id"],
    error: "needs `before` too: pass both of next_page's values",
  });

export const pruneSchema = z.strictObject({
  older_than_days: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number of days" })
    .min(1, { error: "must be at least 1" })
    .max(RETENTION_DAYS_MAX, { error: `must be at most ${RETENTION_DAYS_MAX}` }),
});

// The case rule a lookup or an erasure took (IdCaseRule): said in every answer, so an erasure
// that could not take every letter case is never mistaken for a complete one.
const idCaseField = z
  .enum(["any_case", "exact", "unknown"])
  .describe(
    "The letter-case rule taken: any_case (every letter case of the id), exact (the id as given, a case-sensitive model), unknown (taken as exact; nothing recorded and the forecast service could not say: see warning)",
  );
const caseWarningField = z
  .string()
  .optional()
  .describe("Only with id_case unknown: what may remain and what to do");

const UNKNOWN_CASE_WARNING =
  "The letter-case rule of customer ids is unknown: the decision store has none recorded and the " +
  "forecast service did not say (GET /model-info). Only the id as given (and its NFC and NFD " +
  "spellings) was taken; decisions logged under another letter case of it may remain: retry " +
  "once the forecast service answers, or state the rule (npm run decisions -- id-case set " +
  "any_case|exact).";

const versionOf = z.object({ name: z.string(), version: z.number().int() });
const erasedCounts = z.object({ decisions: z.number().int(), dead_letters: z.number().int() });

const loggedDecisionSchema = z.object({
  decision_id: z.string(),
  decided_at: z.string(),
  chosen_action: z.string(),
  would_have_action: z.string().nullable(),
  campaign_id: z.string().nullable(),
  assignment_group: z.string().nullable(),
  policy: versionOf,
  model: versionOf,
  scores: z.unknown().describe("What the decision was scored on, as logged"),
  inputs: z.unknown().describe("The request's inputs, as logged"),
});
const parkedRowSchema = z.object({
  decision_id: z.string(),
  failed_at: z.string(),
  reason: z.string(),
  row: z.unknown().describe("The decision row that could not be written"),
});
export const customerDecisionsSchema = z.object({
  customer_id: z.string(),
  decisions: z.array(loggedDecisionSchema),
  next_page: z.object({ before: z.string(), before_id: z.string() }).nullable(),
  dead_letters: z.array(parkedRowSchema),
  id_case: idCaseField,
  warning: caseWarningField,
});
export const customerErasedSchema = z.object({
  customer_id: z.string(),
  erased: erasedCounts,
  already_erased: z
    .boolean()
    .describe(
      "true when nothing was left to erase because an earlier erasure of this id (within the last 24 hours) took it: e.g. a retry of an erasure that committed though its answer was lost (a 503 or a dropped connection)",
    ),
  previously_erased_at: z
    .string()
    .nullable()
    .describe(
      "When this id was last erased before this request, within the last 24 hours (erasure markers are kept that long); null: not erased in that time",
    ),
  id_case: idCaseField,
  warning: caseWarningField,
});
export const prunedSchema = z.object({ cutoff: z.string(), deleted: erasedCounts });

const decisionView = (row: DecisionLogRow): z.infer<typeof loggedDecisionSchema> => ({
  decision_id: row.decisionId,
  decided_at: row.decidedAt.toISOString(),
  chosen_action: row.chosenAction,
  would_have_action: row.wouldHaveAction,
  campaign_id: row.campaignId,
  assignment_group: row.assignmentGroup,
  policy: { name: row.policyName, version: row.policyVersion },
  model: { name: row.modelName, version: row.modelVersion },
  scores: row.scores,
  inputs: row.inputs,
});

const parkedView = (row: DecisionLogDeadLetterRow): z.infer<typeof parkedRowSchema> => ({
  decision_id: row.decisionId,
  failed_at: row.failedAt.toISOString(),
  reason: row.reason,
  row: JSON.parse(row.rowJson) as unknown,
});

/**
 * Middleware for /admin/customers/*, ahead of the key check: the request's log line shows the
 * path with `:id` for the customer's id. The raw path named the customer in every lookup and
 * erasure line (and in their 401s and 400s), so an erased customer stayed in the logs.
 */
export const customerPathUnlogged: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.get("logFields").path = c.req.path.replace(
    /^\/admin\/customers\/[^/]*/,
    "/admin/customers/:id",
  );
  await next();
};

/**
 * The case rule of one lookup or erasure, decided once (its reads take it), as the answer says
 * it: unknown adds the warning, and a log line that does not name the customer.
 */
async function caseRuleOf(deps: DecisionDeps, what: "lookup" | "erasure") {
  const idCase = await deps.idCaseRule.forCustomerLookup();
  if (idCase !== "unknown") return { anyCase: idCase === "any_case", said: { id_case: idCase } };
  deps.logger.warn(`customer ${what}: case rule unknown, only the id as given was taken`, {
    hint: "start the forecast service (GET /model-info) and retry, or state the rule: npm run decisions -- id-case set any_case|exact",
  });
  return { anyCase: false, said: { id_case: idCase, warning: UNKNOWN_CASE_WARNING } };
}

export function registerAdminDecisionLog(app: Hono<AppEnv>, deps: DecisionDeps): void {
  const log = async () => new DecisionLogRepository(await deps.database());
  const params = pathParams(customerParams);

  app.get(
    "/admin/customers/:id/decisions",
    params,
    queryParams(customerDecisionsQuery),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, before, before_id } = c.req.valid("query");
      // Decided once: the decisions and the parked rows are read with the same rule.
      const { anyCase, said } = await caseRuleOf(deps, "lookup");
      const repository = await log();
      // One more than the page: a next page is named only when it holds a decision.
      const found = await repository.findByCustomer(id, {
        limit: limit + 1,
        anyCase,
        ...(before ? { before: new Date(before) } : {}),
        ...(before_id ? { beforeId: before_id } : {}),
      });
      const decisions = found.slice(0, limit);
      const last = decisions.at(-1);
      const answer: z.infer<typeof customerDecisionsSchema> = {
        customer_id: id,
        decisions: decisions.map(decisionView),
        // The query of the next page (null: this page is the last).
        next_page:
          found.length > limit && last
            ? { before: last.decidedAt.toISOString(), before_id: last.decisionId }
            : null,
        dead_letters: (await repository.deadLettersOfCustomer(id, anyCase)).map(parkedView),
        ...said,
      };
      return c.json(answer);
    },
  );

  app.delete("/admin/customers/:id/decisions", params, async (c) => {
    const { id } = c.req.valid("param");
    // The case rule first: decisions logged before any folding answer reached this process.
    const { anyCase, said } = await caseRuleOf(deps, "erasure");
    const erased = await (await log()).eraseCustomer(id, anyCase);
    // The log line counts what was erased and never names the customer.
    deps.logger.info("customer erased from the decision log", {
      decisions: erased.decisions,
      dead_letters: erased.deadLetters,
      id_case: said.id_case,
    });
    const nothingLeft = erased.decisions === 0 && erased.deadLetters === 0;
    return c.json({
      customer_id: id,
      erased: { decisions: erased.decisions, dead_letters: erased.deadLetters },
      already_erased: nothingLeft && erased.erasedBefore !== null,
      previously_erased_at: erased.erasedBefore?.toISOString() ?? null,
      ...said,
    } satisfies z.infer<typeof customerErasedSchema>);
  });

  app.post("/admin/decision-log/prune", jsonBody(pruneSchema), async (c) => {
    const { older_than_days } = c.req.valid("json");
    const pruned = await pruneDecisionLog(deps, older_than_days);
    return c.json({
      cutoff: pruned.cutoff.toISOString(),
      deleted: { decisions: pruned.decisions, dead_letters: pruned.deadLetters },
    } satisfies z.infer<typeof prunedSchema>);
  });
}
