// The forecast service's stop (shared/http/graceful-stop.ts): polling for promotions stops first,
// then the forecasts in flight finish and the model source is closed.
import { onStopSignal as onStop } from "@pp/shared/http/graceful-stop.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";

export interface ForecastStopParts {
  logger: Logger;
  stopPolling(): void;
  /** Stops accepting; resolves once the requests in flight are answered. */
  stopAccepting(): Promise<unknown>;
  close(): Promise<void>;
  exit(code: number): void;
  /** Longest wait for requests in flight. */
  timeoutMs?: number;
}

export function onStopSignal(parts: ForecastStopParts): () => void {
  return onStop({
    ...parts,
    stopAccepting: () => {
      parts.stopPolling();
      return parts.stopAccepting();
    },
    // A model source that fails to close has nothing left to lose: still a clean stop.
    close: () =>
      parts.close().then(
        () => true,
        () => true,
      ),
  });
}
