// `ml` as a real process when the database refuses a statement: a log holding a customer id too
// long for the key's index (3,000 random letters; PostgreSQL's B-tree takes ~2,700 bytes) fails
// the registration with one line naming the server's reason. It was Drizzle's 4,000 characters of
// the insert's parameters and stack, without the reason.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-database-refusal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 300 customers with three purchases each in 1997–1998; customer 0's id is 3,000 random letters. */
function logWithLongId(): string {
  let seed = 7;
  const next = () => {
    seed = (seed * 48_271) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const longId = Array.from({ length: 3000 }, () => String.fromCharCode(97 + next() * 26)).join("");
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

test("a statement the database refuses: one line with its SQLSTATE and reason, exit 1", () => {
  const data = join(dir, "log.csv");
  writeFileSync(data, logWithLongId());
  const run = Bun.spawnSync(
    [
      process.execPath,
      "ml/cli.ts",
      "train",
      "--data",
      data,
      "--calibration-end",
      "1997-12-31",
      "--out",
      join(dir, "out"),
      "--register",
      "long-ids",
      "--fast",
      "--workers",
      "1",
    ],
    { cwd: root, env: { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "" } },
  );
  const errors = run.stderr
    .toString()
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("[train]"));
  expect(run.exitCode).toBe(1);
  expect(errors).toEqual([
    'error: the database refused a statement (54000: index row size 3016 exceeds btree version 4 maximum 2704 for index "customer_features_pk"); it and the transaction it was in are rolled back',
  ]);
}, 120_000);
