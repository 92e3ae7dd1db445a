// A new embedded store made from the prebuilt copy holds what one made by PGlite's initdb and the
// migrations holds; a load killed half-way (a leftover folder, or a process killed with SIGKILL at
// any moment of its first command) leaves a store the next command opens.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { applyMigrations, openMigratedStore, templatePath } from "./new-store.ts";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-new-store-"));
  dirs.push(dir);
  return dir;
};
const root = resolve(import.meta.dirname, "../../..");

beforeAll(() => {
  // As an image's build step makes it.
  const made = Bun.spawnSync([process.execPath, join(import.meta.dirname, "new-store.ts")]);
  expect(made.exitCode).toBe(0);
  expect(existsSync(templatePath() as string)).toBe(true);
}, 120_000);
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The tables, the migrations recorded and a row written and read back. */
async function contents(pg: PGlite) {
  const tables = await pg.query<{ name: string }>(
    "select tablename as name from pg_tables where schemaname = 'public' order by 1",
  );
  const migrations = await pg.query<{ n: number }>(
    "select count(*)::int as n from drizzle.__drizzle_migrations",
  );
  await pg.query("insert into models (name) values ('m')");
  const models = await pg.query<{ name: string }>("select name from models");
  return {
    tables: tables.rows.map((r) => r.name),
    migrations: migrations.rows[0]?.n,
    models: models.rows.map((r) => r.name),
  };
}

test("a store from the copy holds what one made by initdb and the migrations holds", async () => {
  const made = await PGlite.create(join(freshDir(), "pglite"));
  await applyMigrations(made);
  const expected = await contents(made);
  await made.close();

  const dir = join(freshDir(), "pglite");
  mkdirSync(dir);
  // A killed process's half-loaded folder beside it is removed, never opened.
  mkdirSync(`${dir}.loading-999999`);
  writeFileSync(join(`${dir}.loading-999999`, "PG_VERSION"), "18\n");
  const copied = await openMigratedStore(dir);
  expect(await contents(copied)).toEqual(expected);
  expect(expected.tables).toContain("decision_log");
  await copied.close();
  expect(readdirSync(join(dir, ".."))).toEqual(["pglite"]);
}, 120_000);

test("SIGKILL at any moment of a new store's first command: the next command opens it", async () => {
  for (const ms of [150, 400, 700, 1000, 1400]) {
    const dataDir = freshDir();
    const env = { ...process.env, DATA_DIR: dataDir };
    const cli = [process.execPath, join(root, "ml/cli.ts"), "models"];
    const first = Bun.spawn(cli, { env, stdout: "ignore", stderr: "ignore" });
    await Bun.sleep(ms);
    first.kill("SIGKILL");
    await first.exited;
    const next = Bun.spawnSync(cli, { env, stdout: "pipe", stderr: "pipe" });
    expect({ ms, code: next.exitCode, stderr: next.stderr.toString() }).toEqual({
      ms,
      code: 0,
      stderr: "",
    });
    expect(readdirSync(dataDir).filter((n) => n.includes(".loading-"))).toEqual([]);
  }
}, 180_000);
