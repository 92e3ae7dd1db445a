// `npm run db:migrate`: applies the checked-in migrations to DATABASE_URL, or to the PGlite database
// in DATA_DIR (default ./.data). Running it again is a no-op.

import { createDatabase, databaseOptionsFromEnv } from "./client.ts";

let options: ReturnType<typeof databaseOptionsFromEnv>;
try {
  options = databaseOptionsFromEnv();
} catch (error) {
  // A DATABASE_URL that is not PostgreSQL's: one line naming it, exit 2.
  console.error(`error: ${(error as Error).message}`);
  process.exit(2);
}
const handle = await createDatabase(options);
try {
  const started = performance.now();
  await handle.migrate();
  const where =
    handle.driver === "postgres" ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${options.dataDir}`;
  console.log(`migrations applied to ${where} in ${Math.round(performance.now() - started)} ms`);
} finally {
  await handle.close();
}
