// The decision service learns the case rule of the ids it decides for from the forecast service
// (`model.ids_lower_cased` in /forecast answers, `ids_lower_cased` in /model-info), and records it
// in its own store (decision-id-case.ts): kept apart from the registry (DECISION_DATA_DIR
// elsewhere, another database), the store holds no model versions, and an erasure of "User@X.org"
// there left the decisions sent as "user@x.org". Recorded in the store, not only in memory, so
// erasures keep the rule after a restart and while the forecast service is down. Opening the
// registry's store instead could create an empty one where the registry is elsewhere.

import { AppError } from "@pp/shared/errors/app-error.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import { SharedInFlight } from "@pp/shared/process/request-scope.ts";
import {
  type IdCase,
  recordIdsLowerCased,
  SettingsTableMissingError,
  storedIdCase,
} from "@pp/shared/registry/decision-id-case.ts";
import type { ForecastClient } from "../forecast-client/forecast-client.ts";
import type { DatabaseProvider } from "./lazy-database.ts";

export interface IdCaseRuleOptions {
  database: DatabaseProvider;
  logger: Logger;
  /** Asks the forecast service (GET /model-info); null: it could not say. */
  ask: () => Promise<boolean | null>;
  /** After a failed write, folding answers wait this long before it is tried again (a store that
   * is away would otherwise cost every decision a failed attempt and a log line); default 30 s. */
  retryAfterMs?: number;
}

export class IdCaseRule {
  /** This process recorded the rule, or found it recorded: nothing more to learn. */
  private known = false;
  /** The write of the rule (on Workers one another request began is not waited on). */
  private readonly recording = new SharedInFlight<void>();
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: IdCaseRuleOptions) {}

  /**
   * The client, recording the rule the first time an answer says ids are read lower-cased. That
   * first decision waits for one insert; every later one costs a boolean test (the rule never
   * goes back: decisions logged under another case stay that customer's). A failed write is
   * logged and tried again later; the decision itself stands.
   */
  learningFrom(client: ForecastClient): ForecastClient {
    return {
      breaker: client.breaker,
      forecast: async (request, options) => {
        const answer = await client.forecast(request, options);
        if (!this.known && answer.model.ids_lower_cased === true) await this.record();
        return answer;
      },
    };
  }

  /**
   * Before a lookup or an erasure of one customer (rare: a question to the forecast service is
   * affordable): the case rule, decided once for the request and handed to the decision log's
   * reads (a second reading of the store could disagree: the forecast service said so but the
   * write was waiting out its retry delay). When the store does not hold the rule yet, asks the
   * forecast service, so decisions logged before any folding answer reached this process are found
   * in every case. The forecast service away (or not saying), the store's rule stands: `exact`
   * when it holds the registry's versions, else `unknown` (the caller says so: an erasure by the
   * id as given may leave the customer's decisions logged under another case).
   */
  async forCustomerLookup(): Promise<IdCase> {
    if (this.known) return "any_case";
    const stored = await storedIdCase(await this.options.database()).catch(unmigrated);
    if (stored === "any_case") {
      this.known = true;
      return stored;
    }
    const asked = await this.options.ask();
    if (asked === false) return "exact";
    if (asked === null) return stored;
    await this.record();
    return "any_case";
  }

  private record(): Promise<void> {
    const { database, logger, retryAfterMs = 30_000 } = this.options;
    if (performance.now() - this.failedAt < retryAfterMs) return Promise.resolve();
    return this.recording.run(() =>
      database()
        .then((db) => recordIdsLowerCased(db))
        .then(() => {
          this.known = true;
          logger.info("decision store: customer ids are case-insensitive (the model folds case)");
        })
        .catch((err: unknown) => {
          this.failedAt = performance.now();
          logger.warn("could not record that customer ids are case-insensitive", {
            error: err instanceof Error ? err.message : String(err),
          });
        }),
    );
  }
}

/** A store without the rule's table (a Worker's database not migrated): a 503 naming the fix,
 * not an opaque 500; the lookup or erasure cannot know its case rule. */
function unmigrated(err: unknown): never {
  if (err instanceof SettingsTableMissingError) {
    throw new AppError("unavailable", `The decision store is not migrated: ${err.message}`, {
      cause: err,
    });
  }
  throw err;
}
