// The decision service's stop (shared/http/graceful-stop.ts): after the requests in flight (each
// waits for its decision-log commit), a prune under way ends its batch, the log is drained and
// closed, then the database.
import { onStopSignal as onStop } from "@pp/shared/http/graceful-stop.ts";
import type { Logger } from "@pp/shared/logging/logger.ts";
import type { DecisionAudit } from "../audit/decision-audit.ts";

export interface GracefulStopParts {
  logger: Logger;
  audit: DecisionAudit;
  /** Stops accepting; resolves once the requests in flight are answered. */
  stopAccepting(): Promise<void>;
  /** Ends the retention's prunes (resolves once a batch under way is committed and logged). */
  stopRetention(): Promise<void>;
  closeDatabase(): Promise<void>;
  exit(code: number): void;
  /** Longest wait for requests in flight. */
  timeoutMs?: number;
}

export function onStopSignal(parts: GracefulStopParts): () => void {
  return onStop({
    ...parts,
    close: async () => {
      await parts.stopRetention();
      const drained = await parts.audit.close(5000);
      if (!drained) parts.logger.error("exiting with decisions waiting for their commit");
      await parts.closeDatabase().catch(() => {});
      return drained;
    },
  });
}
