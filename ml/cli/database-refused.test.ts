// `ml` as a real process against a PostgreSQL that will not let it in: one line naming the URL
// (password hidden) and what to check, exit code 1, no driver stack. And a URL naming no user logs
// in as the OS user, as psql does, even where $USER is unset (Bun then says "unknown").
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_TEST_POSTGRES_URL } from "@pp/shared/testing/test-databases.ts";

const root = resolve(import.meta.dirname, "../..");
const server = new URL(process.env.DATABASE_URL_TEST ?? DEFAULT_TEST_POSTGRES_URL);

/** `ml models list` with only PATH, HOME and the given URL in its environment. */
function modelsList(databaseUrl: string): { code: number; err: string } {
  const run = Bun.spawnSync([process.execPath, "ml/cli.ts", "models", "list"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/", DATABASE_URL: databaseUrl },
  });
  return { code: run.exitCode, err: run.stderr.toString() };
}

test("a database that does not exist: one line naming it, the password hidden", () => {
  const url = `postgres://${server.username || "postgres"}:s3cret@${server.host}/pp_no_such_database`;
  const { code, err } = modelsList(url);
  expect(code).toBe(1);
  expect(err.trim().split("\n")).toHaveLength(1);
  expect(err).toContain('database "pp_no_such_database" does not exist');
  expect(err).toContain("check its database name");
  expect(err).not.toContain("s3cret");
});

test("a URL without a user, $USER unset: the OS user logs in, not 'unknown'", () => {
  const { code, err } = modelsList(`postgres://${server.host}/pp_no_such_database`);
  expect(code).toBe(1);
  expect(err).not.toContain('role "unknown"');
  expect(err).toMatch(
    /^error: the database at DATABASE_URL=postgres:\/\/.* refused the connection/,
  );
});

// `ml score --to` writes to a database of its own: its refusal was reported as DATA_DIR's (the
// registry's) refusing the connection, which sent the user to the wrong database.
test("ml score --to a database that does not exist: the message names that database, not the registry's", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pp-score-to-"));
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/", DATA_DIR: dataDir };
  const ml = (...args: string[]) =>
    Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], { cwd: root, env });
  try {
    expect(ml("demo-model").exitCode).toBe(0);
    const target = `postgres://${server.username || "postgres"}:s3cret@${server.host}/pp_no_such_target`;
    const run = ml("score", "--model", "purchase", "--to", target, "--table", "t");
    const err = run.stderr.toString();
    expect(run.exitCode).toBe(1);
    expect(err).toStartWith(
      `error: the database at postgres://${server.username || "postgres"}:***@${server.host}/pp_no_such_target refused the connection (3D000`,
    );
    expect(err).not.toContain("s3cret");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
