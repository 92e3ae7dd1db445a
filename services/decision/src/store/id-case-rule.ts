// The decision service learns the case rule of the ids it decides for from the forecast service's
// answers (`model.ids_lower_cased`), and records it in its own store (decision-id-case.ts): kept
// apart from the registry (DECISION_DATA_DIR elsewhere, another database), the store holds no
// model versions, and an erasure of "User@X.org" there left the decisions sent as "user@x.org".
// Recorded in the store, not only in memory, so erasures keep the rule after a restart and while
// the forecast service is down. Opening the registry's store instead could create an empty one.
import type { Logger } from "@pp/shared/logging/logger.ts";
import { recordIdsLowerCased } from "@pp/shared/registry/decision-id-case.ts";
import type { ForecastClient } from "../forecast-client/forecast-client.ts";
import type { DatabaseProvider } from "./lazy-database.ts";

/**
 * The client, recording the rule the first time an answer says ids are read lower-cased. That
 * first decision waits for one insert; every later one costs a boolean test (the rule never goes
 * back: decisions logged under another case stay that customer's). A failed write is logged and
 * tried again on the next such answer; the decision itself still stands.
 */
export function learningIdCase(
  client: ForecastClient,
  database: DatabaseProvider,
  logger: Logger,
): ForecastClient {
  let recorded = false;
  let recording: Promise<void> | null = null;
  const record = () => {
    recording ??= database()
      .then((db) => recordIdsLowerCased(db))
      .then(() => {
        recorded = true;
        logger.info("decision store: customer ids are case-insensitive (the model folds case)");
      })
      .catch((err: unknown) => {
        logger.warn("could not record that customer ids are case-insensitive", {
          error: err instanceof Error ? err.message : String(err),
        });
      })
      .finally(() => {
        recording = null;
      });
    return recording;
  };
  return {
    breaker: client.breaker,
    async forecast(request, options) {
      const answer = await client.forecast(request, options);
      if (!recorded && answer.model.ids_lower_cased === true) await record();
      return answer;
    },
  };
}
