// A new embedded store starts from a copy of a new, migrated PGlite database: PGlite's own initdb
// took 4–5 s and about 1.1 GB of memory (a 1 GB container did not survive its first command),
// loading the copy about a second and 0.5 GB. The copy is kept beside the installed PGlite
// (node_modules/.cache/pp-embedded-store, one per PGlite version and migration set), made by the
// first store created without one, or ahead of time by `bun shared/db/embedded/new-store.ts` (the
// images run it when built). Without it (a read-only install, Deno without node_modules) a store
// is created as before.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { namingMigration } from "../migration-failure.ts";
import { MIGRATIONS_FOLDER, migrationsHash } from "../migrations-folder.ts";
import { refuseNewerSchema } from "../newer-schema.ts";

/** Where the copy for the installed PGlite and these migrations is kept (null: PGlite not found). */
export function templatePath(): string | null {
  try {
    // Its entry file, then up to its folder (its package.json is not among its exports for Node).
    let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
    while (!existsSync(join(dir, "package.json"))) {
      if (dirname(dir) === dir) return null;
      dir = dirname(dir);
    }
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      version: string;
    };
    // node_modules/@electric-sql/pglite → node_modules/.cache/pp-embedded-store
    const cache = join(dir, "..", "..", ".cache", "pp-embedded-store");
    return join(cache, `pglite-${version}-${migrationsHash()}.tar.gz`);
  } catch {
    return null;
  }
}

/** The checked-in migrations applied to `pg` (a refused one named: migration-failure.ts). */
export async function applyMigrations(pg: PGlite): Promise<void> {
  await refuseNewerSchema(
    MIGRATIONS_FOLDER,
    async (statement) => (await pg.query(statement)).rows as Array<Record<string, unknown>>,
  );
  return namingMigration(MIGRATIONS_FOLDER, () =>
    migrate(drizzle(pg), { migrationsFolder: MIGRATIONS_FOLDER }),
  );
}

/** The migrated PGlite database in `dir`; a new one (an empty `dir`) from the copy when there is one. */
export async function openMigratedStore(dir: string): Promise<PGlite> {
  const template = readdirSync(dir).length === 0 ? templatePath() : null;
  if (template && existsSync(template)) await fromTemplate(dir, template);
  const pg = await PGlite.create(dir);
  try {
    await applyMigrations(pg);
    // A new store made without the copy: the next new store starts from it.
    if (template && !existsSync(template)) await saveTemplate(pg, template).catch(() => {});
    return pg;
  } catch (error) {
    await pg.close().catch(() => {});
    throw error;
  }
}

/**
 * Loads the copy into a folder beside `dir` and puts it in place when whole: a process killed
 * while loading leaves `dir` empty (created afresh next time), never half a database.
 */
async function fromTemplate(dir: string, template: string): Promise<void> {
  // Only the lock's holder creates a store: any other loading folder is a killed process's.
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.loading-`;
  for (const name of readdirSync(parent)) {
    if (name.startsWith(prefix)) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const loading = join(parent, `${prefix}${process.pid}`);
  const pg = await PGlite.create(loading, { loadDataDir: new Blob([readFileSync(template)]) });
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
  renameSync(loading, dir);
}

/** Writes `pg`'s files as the copy (to a temporary name first: readers see all of it or none). */
async function saveTemplate(pg: PGlite, template: string): Promise<void> {
  const dump = await pg.dumpDataDir("gzip");
  mkdirSync(dirname(template), { recursive: true });
  const partial = `${template}.${process.pid}.partial`;
  writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
  renameSync(partial, template);
}

// `bun shared/db/embedded/new-store.ts`: makes the copy ahead of time (an image's build step).
if (import.meta.main) {
  const template = templatePath();
  if (!template) throw new Error("@electric-sql/pglite is not installed here");
  if (!existsSync(template)) {
    const pg = await PGlite.create();
    await applyMigrations(pg);
    await saveTemplate(pg, template);
    await pg.close();
  }
  console.log(`embedded store template: ${template}`);
}
