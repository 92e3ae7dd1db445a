// The uplift an action gets under a policy: the policy's measured uplift for that action id (per
// P(alive) segment when it has them) replaces the caller's figure; otherwise the caller's stands.
import type { CandidateAction } from "./expected-profit.ts";
import type { ActionUplift, PolicyDefinition } from "./policy-definition.ts";

function segmentUplift(entry: ActionUplift, pAlive: number): number {
  if (entry.by_p_alive && Number.isFinite(pAlive)) {
    for (const s of entry.by_p_alive) {
      if (pAlive >= s.min && (pAlive < s.max || (s.max === 1 && pAlive <= 1))) return s.uplift;
    }
  }
  return entry.uplift;
}

/** `action` with the policy's uplift for it (the same object when the policy has none). */
export function withPolicyUplift(
  policy: Pick<PolicyDefinition, "uplifts">,
  action: CandidateAction,
  pAlive: number,
): CandidateAction {
  // Own entries only: an action id such as "constructor" must not find Object's.
  const uplifts = policy.uplifts;
  const entry = uplifts && Object.hasOwn(uplifts, action.id) ? uplifts[action.id] : undefined;
  if (!entry) return action;
  return { ...action, uplift: segmentUplift(entry, pAlive) };
}
