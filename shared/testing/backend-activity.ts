// Test support: wait until a PostgreSQL backend is inside a given statement (pg_stat_activity),
// so a test can freeze, stop or lock the server at that moment of a real process's command.
import type postgres from "postgres";
import type { Proc } from "./processes.ts";

/**
 * Polls until a client backend other than the poller's is active with `where` (SQL over
 * pg_stat_activity's columns, e.g. `query ilike '%copy%'`); throws if `proc` exits first.
 */
export async function waitForBackend(
  admin: postgres.Sql,
  where: string,
  proc: Proc,
): Promise<void> {
  for (const until = performance.now() + 300_000; performance.now() < until; ) {
    if (proc.exited()) throw new Error(`exited first: ${proc.output.join("\n")}`);
    const rows = await admin.unsafe(
      `select 1 from pg_stat_activity where pid <> pg_backend_pid()
        and backend_type = 'client backend' and state = 'active' and ${where}`,
    );
    if (rows.length > 0) return;
    await Bun.sleep(5);
  }
  throw new Error(`no backend with ${where}`);
}
