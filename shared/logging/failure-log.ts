// A repeated failure (a poll meeting the same outage every few seconds) logged once per distinct
// message, and its end once: what a poll logged at every tick for the whole of an outage.
import { driverMessage } from "../errors/driver-message.ts";
import type { Logger } from "./logger.ts";

export interface FailureLog {
  /** Logs the failure unless it is the one logged last (the driver's words, never a query). */
  failed(error: unknown): void;
  /** After a failure: logs that it is over. */
  ok(): void;
}

export function failureLog(logger: Logger, what: string, over: string): FailureLog {
  let failing: string | null = null;
  return {
    failed(error) {
      const message = driverMessage(error);
      if (message !== failing) logger.warn(what, { error: message });
      failing = message;
    },
    ok() {
      if (failing !== null) logger.info(over, { after: failing });
      failing = null;
    },
  };
}
