// `ml` as a real process when the database refuses a statement: a model name that a constraint
// made by hand forbids fails the registration with one line naming the server's reason. It was
// Drizzle's 4,000 characters of the insert's parameters and stack, without the reason. (A customer
// id too long for the key's index was the case here; the reader skips such ids now, see
// read-transaction-log.test.ts, and the registration stores the rest.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import postgres from "postgres";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-database-refusal-"));
let database: TestDatabase;
beforeAll(async () => {
  database = await openTestDatabase("postgres");
  const sql = postgres(database.options.databaseUrl as string, { max: 1, onnotice: () => {} });
  await sql.unsafe("alter table models add constraint no_refused check (name <> 'refused')");
  await sql.end();
});
afterAll(async () => {
  await database?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** 300 customers with three purchases each in 1997–1998; customer 0's id is 3,000 letters. */
function log(): string {
  let seed = 7;
  const next = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const longId = "x".repeat(3000);
  const lines = ["customer_id,date,amount"];
  for (let c = 0; c < 300; c++) {
    for (let k = 0; k < 3; k++) {
      const day = new Date(Date.UTC(1997, 0, 1) + Math.floor(next() * 540) * 86_400_000);
      lines.push(
        `${c === 0 ? longId : `c${c}`},${day.toISOString().slice(0, 10)},${(5 + next() * 50).toFixed(2)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

const train = (name: string) => {
  const data = join(dir, "log.csv");
  writeFileSync(data, log());
  const run = Bun.spawnSync(
    [
      process.execPath,
      "ml/cli.ts",
      ...["train", "--data", data, "--calibration-end", "1997-12-31"],
      ...["--out", join(dir, `out-${name}`), "--register", name, "--fast", "--workers", "1"],
    ],
    { cwd: root, env: { ...process.env, DATABASE_URL: database.options.databaseUrl as string } },
  );
  const lines = run.stderr.toString().split("\n");
  return { code: run.exitCode, errors: lines.filter((l) => l !== "" && !l.startsWith("[train]")) };
};

test("a statement the database refuses: one line with its SQLSTATE and reason, exit 1", () => {
  const refused = train("refused");
  expect(refused.code).toBe(1);
  expect(refused.errors).toEqual([
    'error: the database refused a statement (23514: new row for relation "models" violates check constraint "no_refused"); it and the transaction it was in are rolled back',
  ]);
}, 120_000);

test("an id too long for the key's index is a skipped row; the others are registered", () => {
  const run = train("long-ids");
  expect(run.code).toBe(0);
}, 120_000);
