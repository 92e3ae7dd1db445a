// `ml forget`: erases everything the platform stores about some customers, in ONE transaction:
// their stored summaries and features under every model version (whose customers_revision is
// bumped, so forecast services reload the version without them) and their decisions and parked
// decision rows (in every letter case, once a version ignores it); decisions about them still
// being made then are not written after it (customer-erasures.ts); in a second one, those in the
// decision service's own store when it is apart. Aggregates (forecast_tracking, campaign_results) hold no customer ids;
// exported bundles and `ml score` outputs are outside the database (republish and re-score them);
// the ids in versions' metrics.json and report.html are taken out by ml/cli/forget-reports.ts.
import { customerIdSpellings, lowerCaseCustomerId } from "../contracts/forecast-request.ts";
import type { Database } from "../db/database.ts";
import { erasureTurn, forgottenAlready } from "./customer-erasures.ts";
import { eraseCustomerFeatures } from "./customer-features.ts";
import { eraseCustomerDecisions, type PrunedRows } from "./decision-log.ts";
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
  /**
   * Of the customers asked for, those `ml forget` had already forgotten within the last day, and
   * when the latest was: a rerun of a run that landed finds nothing left, and this says why.
   */
  forgottenBefore: { customers: number; lastAt: Date | null };
}

/**
 * Erases the customers in `db`, and with `decisionStore` (the decision service's own embedded
 * database, DECISION_DATA_DIR apart from DATA_DIR) their decisions and parked rows there too,
 * counted with the rest: in two transactions, one per database.
 */
export async function forgetCustomers(
  db: Database,
  customerIds: readonly string[],
  decisionStore?: Database,
): Promise<ForgottenCustomers> {
  const unique = storedSpellings(customerIds);
  const { gone, anyCase } = await db.transaction(async (tx) => {
    // Before the versions are read: a registration under way commits first (its version is then
    // read and erased under), or waits and leaves these customers out (customer-erasures.ts).
    await erasureTurn(tx);
    const forgottenBefore = await forgottenAlready(
      tx,
      customerIds.map((id) => storedSpellings([id])),
    );
    const rows = await eraseCustomerFeatures(tx, await allVersionIds(tx), unique);
    // A version trained with --ignore-id-case stores User@X.org as user@x.org: forget that too,
    // lower-cased as the reader does ("İ" is "i", every "Σ" "σ") and as toLowerCase does.
    const lowerCased = await lowerCasedVersionIds(tx);
    const given = new Set(unique);
    const lowered = [
      ...new Set(unique.flatMap((id) => [lowerCaseCustomerId(id), id.toLowerCase()])),
    ].filter((id) => !given.has(id));
    if (lowered.length > 0) rows.push(...(await eraseCustomerFeatures(tx, lowerCased, lowered)));
    const versions = [...new Set(rows)].sort((a, b) => a - b);
    const named = await bumpCustomersRevision(tx, versions);
    // Last: from here on decision writers wait for this transaction (eraseCustomerDecisions).
    const decisions = await eraseCustomerDecisions(tx, unique, { forgotten: true });
    const forgotten = {
      versionIds: versions,
      versions: named,
      storedRows: rows.length,
      forgottenBefore,
    };
    return { gone: { ...forgotten, ...decisions }, anyCase: lowerCased.length > 0 };
  });
  if (!decisionStore) return gone;
  const there = await forgetCustomerDecisions(decisionStore, unique, anyCase);
  return {
    ...gone,
    decisions: gone.decisions + there.decisions,
    deadLetters: gone.deadLetters + there.deadLetters,
  };
}

/**
 * `ml forget` in a store of decisions alone (the decision service's own, its registry elsewhere):
 * their decisions and parked rows in every spelling forgetCustomers erases, in one transaction;
 * in every letter case when `anyCase`, a registry version ignoring it (this store holds none to
 * say so: "User@X.org" erased, "user@x.org"'s decisions were left).
 */
export function forgetCustomerDecisions(
  db: Database,
  customerIds: readonly string[],
  anyCase: boolean,
): Promise<PrunedRows> {
  const spellings = storedSpellings(customerIds);
  // Not told so, the store's own rule decides (one the decision service recorded).
  return db.transaction((tx) =>
    eraseCustomerDecisions(tx, spellings, { forgotten: true, ...(anyCase ? { anyCase } : {}) }),
  );
}

/**
 * Each id also in NFC, as the log readers store ids: "José" given decomposed (as macOS writes it)
 * is the customer stored composed; a version trained before ids were composed keeps the id as
 * given, which is erased too. And decomposed (NFD): /decision logs an id as it was sent.
 */
export function storedSpellings(customerIds: readonly string[]): string[] {
  return [...new Set(customerIds.flatMap(customerIdSpellings))];
}

/**
 * Whether a text names one of the customers: in any of their storedSpellings (compared composed,
 * NFC), and in any letter case when `anyCase`, a version whose ids were read lower-cased
 * (`dataWindow.idsLowerCased`, lower-cased as the reader does). Without it "user@x.org" is
 * another customer than "User@X.org", as the version's stored rows keep them apart.
 */
export function storedIdMatcher(
  customerIds: readonly string[],
  anyCase: boolean,
): (text: string) => boolean {
  const fold = (id: string) => {
    const composed = id.normalize("NFC");
    return anyCase ? lowerCaseCustomerId(composed) : composed;
  };
  const known = new Set(storedSpellings(customerIds).map(fold));
  return (text) => known.has(fold(text));
}
