// A campaign's exploration share ε: a deterministic ε share of its treated customers (keyed draws,
// ControlAssignment.explorationDraw) gets an action drawn uniformly from its eligible actions
// instead of the greedy one, so every arm gets data; each decision logs its propensity.
import { NO_ACTION } from "./rank-actions.ts";

/** The largest exploration share a campaign may set (as the control share's bound). */
export const MAX_EXPLORATION_SHARE = 0.5;

/**
 * The action explored for a customer with draws `draw` (null: not explored): drawn uniformly from
 * `eligible` (in the order given: keep it fixed, e.g. by id, so a replay picks the same) when
 * draw.explore < share. A customer with no eligible action is never explored.
 */
export function exploredAction(
  draw: { explore: number; pick: number },
  share: number,
  eligible: readonly string[],
): string | null {
  if (!(draw.explore < share) || eligible.length === 0) return null;
  return eligible[Math.min(eligible.length - 1, Math.floor(draw.pick * eligible.length))] ?? null;
}

/**
 * The probability the logged action had under the policy with exploration: ε/K for each of the K
 * eligible actions, plus 1 − ε for the greedy one (an action or none). A customer without an
 * eligible action is never explored, so its greedy none had probability 1.
 */
export function propensityOf(
  share: number,
  eligible: readonly string[],
  logged: string,
  greedy: string,
): number {
  if (eligible.length === 0) return logged === greedy ? 1 : 0;
  const drawn = logged !== NO_ACTION && eligible.includes(logged) ? share / eligible.length : 0;
  return drawn + (logged === greedy ? 1 - share : 0);
}
