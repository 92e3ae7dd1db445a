// The active decision policy as the campaign commands see it. With no active policy yet, the
// built-in ones are stored and `default` v1 activated, as the decision service does on its first
// decision, so a proposal stored by `campaign learn` can never be mistaken for the starting policy.

import type { Database } from "@pp/shared/db/database.ts";
import { namedPolicies } from "@pp/shared/policy/named-policies.ts";
import { type PolicyDefinition, storedPolicy } from "@pp/shared/policy/policy-definition.ts";
import { PolicyStore } from "@pp/shared/registry/policy-store.ts";

export interface ActivePolicyRow {
  name: string;
  version: number;
  definition: PolicyDefinition;
}

export async function ensureActivePolicy(db: Database): Promise<ActivePolicyRow> {
  const store = new PolicyStore(db);
  const row =
    (await store.getActive()) ?? (await store.seedActive(namedPolicies, "default", "first"));
  // Read as stored (the limits on new definitions came later than some stored ones).
  try {
    return storedPolicy(row);
  } catch (err) {
    throw new RangeError(`the ${(err as Error).message}`);
  }
}
