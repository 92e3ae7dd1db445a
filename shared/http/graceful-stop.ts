// SIGTERM/SIGINT in a service's entry file: stop accepting connections, let the requests in flight
// finish (a rolling deploy must not cut them off), close what the service holds, exit. A second
// signal is ignored; the wait is bounded so a stuck connection cannot keep the process alive.
import type { Logger } from "../logging/logger.ts";

export interface StopSteps {
  logger: Logger;
  /** Stops accepting; resolves once the requests in flight are answered. */
  stopAccepting(): Promise<unknown>;
  /** Closes what the service holds; resolves false when it left something unfinished. */
  close(): Promise<boolean>;
  exit(code: number): void;
  /** Longest wait for requests in flight (default 10 s). */
  timeoutMs?: number;
}

/** The signal handler: exit 0 when every request and the close finished, else 1. */
export function onStopSignal(steps: StopSteps): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      steps.logger.info("stopping: finishing requests in flight");
      const finished = await requestsFinished(steps.stopAccepting(), steps.timeoutMs ?? 10_000);
      if (!finished) steps.logger.warn("requests still in flight after the stop timeout");
      const closed = await steps.close().catch(() => false);
      steps.logger.info("stopped");
      steps.exit(finished && closed ? 0 : 1);
    })();
  };
}

/** Whether the requests in flight finished within `timeoutMs` (a failed stop counts as done). */
async function requestsFinished(stopped: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    stopped.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => {
      timer = setTimeout(r, timeoutMs, false);
    }),
  ]);
  clearTimeout(timer);
  return finished;
}
