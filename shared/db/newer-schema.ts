// Refuses a database that a newer release migrated: drizzle's migrator applies only migrations
// newer than the last one applied, so an older release there applied nothing and ran on tables it
// does not know (a downgrade after an upgrade), with nothing said.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Runs one SQL statement, returning its rows (postgres.js's or PGlite's, the caller's session). */
export type RowsOf = (statement: string) => Promise<Array<Record<string, unknown>>>;

/** A database migrated past this release's migrations; its message says which and what to do. */
export class NewerSchemaError extends Error {
  override readonly name = "NewerSchemaError";
}

/** Throws when `rowsOf`'s database holds a migration newer than the last one in `folder`. */
export async function refuseNewerSchema(folder: string, rowsOf: RowsOf): Promise<void> {
  const [table] = await rowsOf("select to_regclass('drizzle.__drizzle_migrations')::text as t");
  if (!table?.t) return; // a new database
  const [last] = await rowsOf(
    "select max(created_at)::text as at from drizzle.__drizzle_migrations",
  );
  const applied = Number(last?.at ?? Number.NaN);
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: Array<{ tag: string; when: number }>;
  };
  const newest = journal.entries.at(-1);
  if (!newest || !Number.isFinite(applied) || applied <= newest.when) return;
  // What to do first: /ready shows a reason's first 200 characters.
  throw new NewerSchemaError(
    "run a newer release: one migrated this database past this release's migrations (the " +
      `database's last is of ${iso(applied)}, this release's ${newest.tag} of ${iso(newest.when)}); ` +
      "nothing was changed. A downgrade needs a backup taken before the upgrade",
  );
}

const iso = (millis: number) =>
  `${new Date(millis).toISOString().slice(0, 16).replace("T", " ")} UTC`;
