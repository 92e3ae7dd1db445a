// A batch's exploration (shared/policy/exploration.ts): which treated customers are explored and
// with what action, the budget they take first, and each treated row's logged propensity.
import type { NewDecisionLogRow } from "@pp/shared/db/schema.ts";
import { AppError } from "@pp/shared/errors/app-error.ts";
import { compensatedSum } from "@pp/shared/numeric/compensated-sum.ts";
import type { SelectionOption } from "@pp/shared/policy/budgeted-selection.ts";
import { exploredAction, propensityOf } from "@pp/shared/policy/exploration.ts";
import { NO_ACTION } from "@pp/shared/policy/rank-actions.ts";
import type { DecisionDeps } from "../deps.ts";
import type { CampaignSplit } from "./campaign-decisions.ts";

export interface BatchExploration {
  share: number;
  /** Explored customer index → the action drawn for it (an eligible option). */
  picks: Map<number, SelectionOption>;
  /** What the explored picks cost: taken from the budget before the greedy selection. */
  cost: number;
}

/**
 * The explored treated customers of a campaign batch (null when the share is 0 or unset: the
 * batch is decided exactly as without exploration). Options are in id order (scoreCustomer), so
 * a replay draws the same action. Exploration is paid first from the budget; a budget it exceeds
 * is a 422 naming exploration_share, since its customers could not all be explored as drawn.
 */
export async function drawExploration(
  deps: DecisionDeps,
  split: CampaignSplit | null,
  share: number | undefined,
  customerIds: readonly string[],
  options: SelectionOption[][],
  budget: number,
): Promise<BatchExploration | null> {
  if (!split || !share) return null;
  // The treated customers with an eligible action, drawn at once (as ControlAssignment.groups
  // does): one awaited HMAC after another took a 1,000-customer batch's draws in turn.
  const treated = customerIds.flatMap((id, i) =>
    split.groups[i] === "treated" && (options[i]?.length ?? 0) > 0 ? [{ id, i }] : [],
  );
  const drawn = await Promise.all(
    treated.map(async ({ id, i }) => ({
      i,
      draw: await deps.campaigns.explorationDraw(split.id, id),
    })),
  );
  const picks = new Map<number, SelectionOption>();
  for (const { i, draw } of drawn) {
    const list = options[i] ?? [];
    const action = exploredAction(
      draw,
      share,
      list.map((o) => o.action),
    );
    const option = list.find((o) => o.action === action);
    if (option) picks.set(i, option);
  }
  const cost = compensatedSum([...picks.values()].map((o) => o.cost));
  if (cost > budget) {
    throw new AppError(
      "unprocessable",
      `exploration_share ${share} explores ${picks.size} customers at a cost of ${cost}, over the budget of ${budget}: ` +
        "lower exploration_share or raise budget",
      { details: [{ path: "exploration_share", message: `explored actions cost ${cost}` }] },
    );
  }
  return { share, picks, cost };
}

/**
 * The exploration columns of treated customer i's row: whether it was explored and the probability
 * of its logged action (`greedy`: what the greedy selection picked, or would have, for it).
 */
export function explorationColumns(
  exploration: BatchExploration | null,
  group: string | undefined,
  i: number,
  eligible: readonly SelectionOption[],
  logged: string,
  greedy: string,
): Pick<NewDecisionLogRow, "explored" | "propensity"> {
  if (!exploration || group !== "treated") return {};
  const ids = eligible.map((o) => o.action);
  return {
    explored: exploration.picks.has(i),
    propensity: propensityOf(exploration.share, ids, logged, greedy ?? NO_ACTION),
  };
}
