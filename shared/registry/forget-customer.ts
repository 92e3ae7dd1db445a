// `ml forget`: erases everything the platform stores about some customers, in ONE transaction:
// their stored summaries and features under every model version (whose customers_revision is
// bumped, so forecast services reload the version without them) and their decisions and parked
// decision rows (in every letter case, once a version ignores it); decisions about them still
// being made then are not written after it (customer-erasures.ts). Aggregates (forecast_tracking, campaign_results) hold no customer ids;
// exported bundles and `ml score` outputs are outside the database (republish and re-score them).
import { customerIdSpellings, lowerCaseCustomerId } from "../contracts/forecast-request.ts";
import type { Database } from "../db/database.ts";
import { erasureTurn } from "./customer-erasures.ts";
import { eraseCustomerFeatures } from "./customer-features.ts";
import { eraseCustomerDecisions } from "./decision-log.ts";
import { allVersionIds, bumpCustomersRevision, lowerCasedVersionIds } from "./model-registry.ts";

export interface ForgottenCustomers {
  /** Ids of the model versions that held a stored row of one of the customers. */
  versionIds: number[];
  /** The same versions by model name and number, ordered (what exported bundles are keyed by). */
  versions: Array<{ model: string; version: number }>;
  /** Stored rows erased (a customer has one per version that held them). */
  storedRows: number;
  decisions: number;
  deadLetters: number;
}

export function forgetCustomers(
  db: Database,
  customerIds: readonly string[],
): Promise<ForgottenCustomers> {
  // Each id also in NFC, as the log readers store ids: "José" given decomposed (as macOS writes
  // it) is the customer stored composed; a version trained before ids were composed keeps the id
  // as given, which is erased too. And decomposed (NFD): /decision logs an id as it was sent.
  const unique = [...new Set(customerIds.flatMap(customerIdSpellings))];
  return db.transaction(async (tx) => {
    // Before the versions are read: a registration under way commits first (its version is then
    // read and erased under), or waits and leaves these customers out (customer-erasures.ts).
    await erasureTurn(tx);
    const rows = await eraseCustomerFeatures(tx, await allVersionIds(tx), unique);
    // A version trained with --ignore-id-case stores User@X.org as user@x.org: forget that too,
    // lower-cased as the reader does ("İ" is "i", every "Σ" "σ") and as toLowerCase does.
    const given = new Set(unique);
    const lowered = [
      ...new Set(unique.flatMap((id) => [lowerCaseCustomerId(id), id.toLowerCase()])),
    ].filter((id) => !given.has(id));
    if (lowered.length > 0) {
      rows.push(...(await eraseCustomerFeatures(tx, await lowerCasedVersionIds(tx), lowered)));
    }
    const versions = [...new Set(rows)].sort((a, b) => a - b);
    const named = await bumpCustomersRevision(tx, versions);
    // Last: from here on decision writers wait for this transaction (eraseCustomerDecisions).
    const decisions = await eraseCustomerDecisions(tx, unique, { forgotten: true });
    return {
      versionIds: versions,
      versions: named,
      storedRows: rows.length,
      ...decisions,
    };
  });
}
