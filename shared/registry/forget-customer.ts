// `ml forget`: erases everything the platform stores about one customer, in ONE transaction: their
// stored summaries and features under every model version (whose customers_revision is bumped,
// so forecast services reload the version without them) and their decisions and parked decision
// rows. Aggregates (forecast_tracking, campaign_results) hold no customer ids; exported bundles
// and `ml score` outputs are outside the database (republish and re-score them).
import type { Database } from "../db/database.ts";
import { eraseCustomerFeatures } from "./customer-features.ts";
import { eraseCustomerDecisions } from "./decision-log.ts";
import { allVersionIds, bumpCustomersRevision } from "./model-registry.ts";

export interface ForgottenCustomer {
  /** Model versions that held the customer's stored row (one row each). */
  modelVersions: number;
  decisions: number;
  deadLetters: number;
}

export function forgetCustomer(db: Database, customerId: string): Promise<ForgottenCustomer> {
  return db.transaction(async (tx) => {
    const versions = await eraseCustomerFeatures(tx, await allVersionIds(tx), customerId);
    await bumpCustomersRevision(tx, versions);
    const decisions = await eraseCustomerDecisions(tx, customerId);
    return { modelVersions: versions.length, ...decisions };
  });
}
