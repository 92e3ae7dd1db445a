// Later contacts of a campaign's treated customers (a second wave) in the report: each customer
// is measured under its first contact, so a later contact's cost and effect are counted in that
// first action's. A second wave that upgraded 171 email customers to a call was reported as one
// `email` row (call absent), whose cost held the calls' 1,026 and whose measured uplift held the
// call's effect (email 0 and call +0.6 measured email at +0.166; `campaign learn` raised email).
// The report now names those contacts per action, and `learn` leaves such an action as it is.
import type { ActionResult } from "@pp/shared/campaigns/campaign-result.ts";
import type { LaterContactsByAction } from "./campaign-log-join.ts";

/** The action's later contacts, per later action (most first), or undefined when none. */
export function laterContactsOf(
  byAction: LaterContactsByAction,
  action: string,
): ActionResult["later_contacts"] {
  const counts = byAction.get(action);
  if (!counts || counts.size === 0) return undefined;
  return [...counts]
    .map(([later, c]) => ({ action: later, contacts: c.contacts, cost: c.cost }))
    .sort((a, b) => b.contacts - a.contacts || a.action.localeCompare(b.action));
}

/** Other actions among the action's later contacts (those that mix its measured effect). */
export function otherLaterActions(
  a: ActionResult,
): Array<{ action: string; contacts: number; cost: number }> {
  return (a.later_contacts ?? []).filter((c) => c.action !== a.action);
}

const listed = (contacts: Array<{ action: string; contacts: number; cost: number }>) =>
  contacts.map((c) => `${c.action} ×${c.contacts} (cost ${c.cost.toFixed(2)})`).join(", ");

/** A note per first action whose treated customers got another action later. */
export function laterActionNotes(byAction: LaterContactsByAction): string[] {
  const notes: string[] = [];
  for (const first of [...byAction.keys()].sort()) {
    const others = (laterContactsOf(byAction, first) ?? []).filter((c) => c.action !== first);
    if (others.length === 0) continue;
    const names = others.map((c) => c.action).join(", ");
    notes.push(
      `${first}: its treated customers were contacted again with another action, ${listed(others)}: ` +
        `each customer is measured under its first contact, so ${first}'s cost, measured effect and ` +
        `uplift include ${names}'s, and ${names} is not measured on its own there (campaign learn ` +
        `leaves ${first} as it is)`,
    );
  }
  return notes;
}

/** The action line's suffix naming its treated customers' later contacts, if any. */
export function laterContactsSuffix(a: ActionResult): string {
  if (!a.later_contacts || a.later_contacts.length === 0) return "";
  return `; includes later contacts of its treated: ${listed(a.later_contacts)}`;
}
