// A background read the service stops waiting for must also stop in the database: a read given
// up on by its caller (within.ts) but stuck on a lock kept its pooled connection, and reads
// started each second after it took the whole pool (a lock on api_keys: every decision a 503).
import type { Database } from "@pp/shared/db/database.ts";
import { sql } from "drizzle-orm";

/**
 * `read` in a transaction whose statements the database cancels after `ms` (lock waits
 * included): the connection is free again at the bound, whatever the read met.
 */
export function readWithStatementTimeout<T>(
  db: Database,
  ms: number,
  read: (db: Database) => Promise<T>,
): Promise<T> {
  const bound = Math.max(1, Math.ceil(ms));
  return db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local statement_timeout = ${bound}`));
    return read(tx as unknown as Database);
  });
}
