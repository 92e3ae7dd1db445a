// Test support: the smallest valid version registration (one JSON artifact, a fixed window),
// holding the given stored customers, for tests about what the registry does with customers.
import type { CustomerFeatureInput } from "../registry/customer-features.ts";
import type { RegisterVersionInput } from "../registry/model-registry.ts";

export function registrationInput(
  customerFeatures: CustomerFeatureInput[],
  promote = false,
): RegisterVersionInput {
  return {
    artifacts: [{ name: "model.json", bytes: new TextEncoder().encode("{}") }],
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: "1997-09-30" },
    timeUnit: "week",
    trainedAt: "2026-11-30T00:00:00Z",
    customerFeatures,
    promote,
  };
}

/** Stored customers with an empty summary and one feature, by id. */
export function plainCustomers(ids: readonly string[]): CustomerFeatureInput[] {
  return ids.map((customerId) => ({ customerId, summary: {}, features: [1] }));
}
