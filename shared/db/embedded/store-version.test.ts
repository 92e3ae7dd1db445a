// An embedded store whose files another PostgreSQL major made (a DATA_DIR kept across a PGlite
// upgrade that changed it): ml and npm start, as real processes, refuse it in one line naming
// both majors and leave it as it was. The pinned major is the installed PGlite's.
import { afterAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { runBun } from "../../testing/processes.ts";
import { openTestDatabase } from "../../testing/test-databases.ts";
import { EMBEDDED_PG_MAJOR } from "./store-version.ts";

const root = resolve(import.meta.dirname, "../../..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("EMBEDDED_PG_MAJOR is the PostgreSQL major of the installed PGlite", async () => {
  const pg = await PGlite.create(); // in memory: a cached store could be an older PGlite's
  const { rows } = await pg.query<{ v: string }>("select current_setting('server_version_num') v");
  await pg.close();
  expect(String(Math.floor(Number(rows[0]?.v) / 10_000))).toBe(EMBEDDED_PG_MAJOR);
}, 60_000);

test("a store of another PostgreSQL major: one line naming both, exit 1, nothing changed", async () => {
  const made = await openTestDatabase("pglite");
  await made.handle.close();
  const dataDir = mkdtempSync(join(tmpdir(), "pp-store-version-"));
  dirs.push(dataDir, made.options.dataDir as string);
  cpSync(made.options.dataDir as string, dataDir, { recursive: true });
  const versionFile = join(dataDir, "pglite", "PG_VERSION");
  writeFileSync(versionFile, "16\n");
  const env = { DATA_DIR: dataDir, DATABASE_URL: "", DECISION_DATA_DIR: "" };
  const line = `${join(dataDir, "pglite")} holds a PostgreSQL 16 database (made by another PGlite version); this version's embedded store runs PostgreSQL ${EMBEDDED_PG_MAJOR} and cannot open it`;

  const models = await runBun(join(root, "ml/cli.ts"), ["models"], env, { timeoutMs: 60_000 });
  expect(models.status).toBe(1);
  expect(models.stderr.trim().split("\n")).toEqual([expect.stringContaining(`error: ${line}`)]);

  const start = await runBun(join(root, "scripts/start.ts"), [], env, { timeoutMs: 60_000 });
  expect(start.status).toBe(1);
  expect(start.stderr.trim().split("\n")).toEqual([
    // npm start names the variable that points at the store (DATA_DIR).
    expect.stringContaining(
      `error: could not open the embedded store at DATA_DIR=${dataDir}: ${line}`,
    ),
  ]);
  expect(readFileSync(versionFile, "utf8")).toBe("16\n");
  expect(existsSync(join(dataDir, "pglite.lock"))).toBe(false);
}, 60_000);
