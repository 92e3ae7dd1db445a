// Readiness checks: what a service needs before it can do useful work (a loaded model, a
// reachable upstream). `/ready` answers 503 naming the failing checks until all pass, and 200 with
// status "degraded" when a check passes but works around a failure (e.g. serving a cached model).

export interface ReadinessResult {
  ok: boolean;
  /** Why the check failed (shown to operators in the 503 body), or why it is degraded. */
  reason?: string;
  /** Passing, but in a degraded mode (still ready: traffic should keep coming). */
  degraded?: boolean;
}

export interface ReadinessCheck {
  name: string;
  check(): Promise<ReadinessResult>;
}

export interface ReadinessReport {
  ready: boolean;
  /** Ready, but at least one check reported a degraded mode. */
  degraded: boolean;
  checks: Array<{
    name: string;
    /** ok, degraded (still ready) or failing (not ready). */
    status: "ok" | "degraded" | "failing";
    ok: boolean;
    degraded?: boolean;
    reason?: string;
    duration_ms: number;
  }>;
}

/** Reasons are short by design: /ready is unauthenticated and must not carry data. */
const MAX_REASON_CHARS = 200;

/** Runs all checks concurrently; a check that throws or exceeds `timeoutMs` fails. */
export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  options: { timeoutMs?: number; now?: () => number } = {},
): Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const now = options.now ?? (() => performance.now());
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      const started = now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<ReadinessResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      let result: ReadinessResult;
      try {
        result = await Promise.race([check(), timeout]);
      } catch (err) {
        // A thrown error's message can carry anything (a query, its parameters): name it only.
        result = {
          ok: false,
          reason: `check failed (${err instanceof Error ? err.name : "error"})`,
        };
      } finally {
        clearTimeout(timer);
      }
      const duration_ms = Math.round((now() - started) * 1000) / 1000;
      const reason = (result.reason ?? "").slice(0, MAX_REASON_CHARS);
      if (result.ok && result.degraded)
        return {
          name,
          status: "degraded" as const,
          ok: true,
          degraded: true,
          reason: reason || "degraded",
          duration_ms,
        };
      return result.ok
        ? { name, status: "ok" as const, ok: true, duration_ms }
        : {
            name,
            status: "failing" as const,
            ok: false,
            reason: reason || "check failed",
            duration_ms,
          };
    }),
  );
  const ready = results.every((r) => r.ok);
  return { ready, degraded: ready && results.some((r) => r.degraded === true), checks: results };
}

/** A check that passes when `url` answers 2xx (e.g. an upstream service's /health). */
export function httpReadinessCheck(
  name: string,
  url: string,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): ReadinessCheck {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 1500;
  return {
    name,
    async check() {
      try {
        const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        return res.ok ? { ok: true } : { ok: false, reason: `${url} answered ${res.status}` };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { ok: false, reason: `${url} unreachable: ${why}` };
      }
    },
  };
}
