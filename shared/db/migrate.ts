// `npm run db:migrate`: applies the checked-in migrations to DATABASE_URL, or to the PGlite database
// in DATA_DIR (default ./.data). Running it again is a no-op.

import { createDatabase, type DatabaseHandle, databaseOptionsFromEnv } from "./client.ts";

let options: ReturnType<typeof databaseOptionsFromEnv>;
try {
  options = databaseOptionsFromEnv();
} catch (error) {
  // A DATABASE_URL that is not PostgreSQL's: one line naming it, exit 2.
  console.error(`error: ${(error as Error).message}`);
  process.exit(2);
}
let handle: DatabaseHandle | undefined;
try {
  const started = performance.now();
  // The embedded store applies them as it opens; PostgreSQL's are applied by migrate().
  handle = await createDatabase(options);
  await handle.migrate();
  const where =
    handle.driver === "postgres" ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${options.dataDir}`;
  console.log(`migrations applied to ${where} in ${Math.round(performance.now() - started)} ms`);
} catch (error) {
  // One line naming the migration and the database's reason, not drizzle's stack.
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await handle?.close().catch(() => {});
}
