// A repeated failure (a poll meeting the same outage every few seconds) said once per distinct
// message, and its end once: what a poll logged at every tick for the whole of an outage.
import { driverMessage } from "../errors/driver-message.ts";
import type { Logger } from "./logger.ts";

/** The failure going on, if any: whether a new one is to be said, and which one ended. */
export class RepeatedFailure {
  private message: string | null = null;

  /** The failure going on (its message), or null. */
  get current(): string | null {
    return this.message;
  }

  /** Records a failure; true when it is not the one going on (so it is to be said). */
  failed(message: string): boolean {
    const fresh = message !== this.message;
    this.message = message;
    return fresh;
  }

  /** Records a success: the failure it ends, or null when none was going on. */
  recovered(): string | null {
    const ended = this.message;
    this.message = null;
    return ended;
  }
}

export interface FailureLog {
  /** Logs the failure unless it is the one logged last (the driver's words, never a query). */
  failed(error: unknown): void;
  /** After a failure: logs that it is over. */
  ok(): void;
}

export function failureLog(logger: Logger, what: string, over: string): FailureLog {
  const failure = new RepeatedFailure();
  return {
    failed(error) {
      const message = driverMessage(error);
      if (failure.failed(message)) logger.warn(what, { error: message });
    },
    ok() {
      const ended = failure.recovered();
      if (ended !== null) logger.info(over, { after: ended });
    },
  };
}
