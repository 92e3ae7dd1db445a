// SIGTERM/SIGINT: stop polling for promotions, stop accepting connections, let the requests in
// flight finish (a rolling deploy must not cut off the forecasts being computed), close the model
// source, exit. A second signal is ignored; the wait is bounded so a stuck connection cannot keep
// the process alive (exit 1 then).
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
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      parts.logger.info("stopping: finishing requests in flight");
      parts.stopPolling();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finished = await Promise.race([
        parts.stopAccepting().then(
          () => true,
          () => true,
        ),
        new Promise<false>((r) => {
          timer = setTimeout(r, parts.timeoutMs ?? 10_000, false);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) parts.logger.warn("requests still in flight after the stop timeout");
      await parts.close().catch(() => {});
      parts.logger.info("stopped");
      parts.exit(finished ? 0 : 1);
    })();
  };
}
