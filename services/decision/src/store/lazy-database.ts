// The decision service's database, opened on first use and re-tried on the next use after a
// failure: the service starts (and serves /health) without it, and recovers when it appears.
import type { Database } from "@pp/shared/db/database.ts";
import { NoDatabaseError } from "@pp/shared/db/no-database.ts";

export type DatabaseProvider = () => Promise<Database>;

export function lazyDatabase(open: () => Promise<Database>): DatabaseProvider {
  let opening: Promise<Database> | null = null;
  return () => {
    if (!opening) {
      opening = open();
      opening.catch(() => {
        opening = null;
      });
    }
    return opening;
  };
}

/** For runtimes without a database (Workers): every use fails, naming why. */
export function noDatabase(reason: string): DatabaseProvider {
  return () => Promise.reject(new NoDatabaseError(reason));
}
