// The human-readable source of a learned uplift cuts a campaign id too long for its 1,000
// characters. Stored ids run to 4,096 characters of any kind: cut at a UTF-16 index, an id of
// emoji (surrogate pairs) could keep the first half of a pair, and the policy holding that lone
// surrogate could not be stored (PostgreSQL's jsonb refuses it: learn failed with "Failed query").
import { expect, test } from "bun:test";
import { isStorableText } from "@pp/shared/errors/validation.ts";
import { newPolicyDefinitionSchema } from "@pp/shared/policy/policy-definition.ts";
import { type LearnedAction, proposePolicy } from "./learn-uplift.ts";

const START = newPolicyDefinitionSchema.parse({ uplifts: { email: { uplift: 0.2 } } });
const shrunk = { prior: 0.2, measured: 1, se: 0.26, weight: 0.9, posterior: 0.91 };
const learned: LearnedAction[] = [{ action: "email", overall: shrunk, segments: [], kept: [] }];

test("a long campaign id of emoji is cut between characters, never inside a surrogate pair", () => {
  for (const campaign of ["😀".repeat(600), `a${"😀".repeat(600)}`, `${"x".repeat(990)}😀😀😀`]) {
    const proposed = proposePolicy(START, learned, {
      campaign,
      window_end: "1997-12-31",
      reported_at: "1998-01-02T00:00:00.000Z",
    });
    const email = proposed.uplifts?.email;
    const source = email?.source ?? "";
    expect({ length: campaign.length, storable: isStorableText(source) }).toEqual({
      length: campaign.length,
      storable: true,
    });
    expect(source.length).toBeLessThanOrEqual(1000);
    expect(source).toContain("…");
    expect(email?.learned_from?.[0]?.campaign).toBe(campaign);
  }
});
