import { expect, test } from "bun:test";
import { subquerySql } from "./sql-text.ts";

test("subquerySql: a final ';' and closing comments left out; the rest as written", () => {
  expect(subquerySql("SELECT 1;")).toBe("(SELECT 1\n)");
  expect(subquerySql("SELECT 1; -- all\n  ")).toBe("(SELECT 1\n)");
  expect(subquerySql("SELECT ';' AS x -- note")).toBe("(SELECT ';' AS x -- note\n)");
  expect(subquerySql("SELECT 1; SELECT 2")).toBe("(SELECT 1; SELECT 2\n)");
});

// A line of dashes under each statement is how SQL files set queries apart. Its "--" pieces could
// be split in exponentially many ways before the match failed at the next statement: 0.3 to 0.8 s
// for each ";" (40 dashes: 0.8 s), so thirty such statements took seconds.
test("subquerySql: runs of dashes after each ';' and more SQL are quick", () => {
  const query = Array.from({ length: 30 }, (_, i) => `SELECT ${i}; ${"-".repeat(60)}\n`).join("");
  const started = performance.now();
  expect(subquerySql(`${query}SELECT 30`)).toBe(`(${query}SELECT 30\n)`);
  expect(performance.now() - started).toBeLessThan(300);
});
