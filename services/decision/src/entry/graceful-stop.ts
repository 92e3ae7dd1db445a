// SIGTERM/SIGINT: stop accepting connections, let the requests in flight finish (each waits for
// its decision-log commit), close the log and the database, exit. A second signal is ignored; the
// whole stop is bounded so a stuck connection cannot keep the process alive.
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { DecisionAudit } from "../audit/decision-audit.ts";

export interface GracefulStopParts {
  logger: Logger;
  audit: DecisionAudit;
  /** Stops accepting; resolves once the requests in flight are answered. */
  stopAccepting(): Promise<void>;
  closeDatabase(): Promise<void>;
  exit(code: number): void;
  /** Longest wait for requests in flight. */
  timeoutMs?: number;
}

export function onStopSignal(parts: GracefulStopParts): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      parts.logger.info("stopping: finishing requests in flight");
      const timeoutMs = parts.timeoutMs ?? 10_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finished = await Promise.race([
        parts.stopAccepting().then(() => true),
        new Promise<false>((r) => {
          timer = setTimeout(r, timeoutMs, false);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) parts.logger.warn("requests still in flight after the stop timeout");
      const drained = await parts.audit.close(5000);
      if (!drained) parts.logger.error("exiting with decisions waiting for their commit");
      await parts.closeDatabase().catch(() => {});
      parts.logger.info("stopped");
      parts.exit(drained && finished ? 0 : 1);
    })();
  };
}
