// `ml score --intervals 0.8,0.95`: per model lo/hi columns of purchases, spend and CLV, the same
// intervals as /forecast (ml/forecasting/intervals.ts), to CSV and to a PostgreSQL table that an
// earlier run without intervals created; bad levels are refused naming the option.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import Papa from "papaparse";
import postgres from "postgres";
import { ensureDemoModel } from "../pipelines/demo-model.ts";
import { runScore } from "./run-score.ts";
import { csvHeader, scoreColumns } from "./score-columns.ts";
import { parseIntervalLevels } from "./score-command.ts";

let db: TestDatabase;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-score-intervals-"));
  db = await openTestDatabase("postgres");
  const registry = new ModelRegistry(db.handle.db, new FileArtifactStore(join(dir, "artifacts")));
  await ensureDemoModel({ registry, modelName: "demo", customers: 400, seed: 7 });
  env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(dir, "artifacts"),
  };
}, 180_000);

afterAll(async () => {
  await db?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const common = () => ({ model: "demo", horizon: "26w", discountRate: 0.1, env, print: () => {} });

test("--model that is not registered is named as such, with the models there are", async () => {
  const error = await runScore({ ...common(), model: "demmo", out: join(dir, "x.csv") }).catch(
    (e) => e,
  );
  expect(error.message).toBe('--model: no model named "demmo" (models: demo)');
});

test("--out in a folder that is not there fails before any customer is scored, naming it", async () => {
  const lines: string[] = [];
  const error = await runScore({
    ...common(),
    out: join(dir, "missing", "x.csv"),
    print: (line) => lines.push(line),
  }).catch((e) => e);
  expect(error.code).toBe("ENOENT");
  expect(error.path).toBe(join(dir, "missing"));
  expect(lines.filter((l) => /scored/i.test(l))).toEqual([]);
});

test("--intervals adds nested lo/hi columns per model, level and field", async () => {
  const out = join(dir, "scores.csv");
  const result = await runScore({ ...common(), out, intervals: [0.8, 0.95] });
  expect(result.rows).toBe(400);
  const text = await readFile(out, "utf8");
  expect(text.split("\n")[0]).toBe(csvHeader([0.8, 0.95]));
  const rows = Papa.parse<Record<string, string>>(text, {
    header: true,
    skipEmptyLines: true,
  }).data;
  expect(rows.length).toBe(400);
  for (const m of ["bgnbd", "pareto_nbd", "gbdt", "blend"]) {
    for (const f of ["purchases", "spend", "clv"]) {
      for (const row of rows) {
        const bound = (s: string) => Number(row[`${m}_${f}_${s}`]);
        const [lo80, hi80, lo95, hi95] = [
          bound("lo_80"),
          bound("hi_80"),
          bound("lo_95"),
          bound("hi_95"),
        ];
        // Nested: the 95% interval holds the 80% one; spend and CLV are never negative.
        expect(lo95).toBeLessThanOrEqual(lo80);
        expect(lo80).toBeLessThanOrEqual(hi80);
        expect(hi80).toBeLessThanOrEqual(hi95);
        expect(lo95).toBeGreaterThanOrEqual(0);
      }
    }
    // The expected purchases lie inside the 95% purchases interval for most customers.
    const inside = rows.filter(
      (r) =>
        Number(r[`${m}_expected_purchases`]) >= Number(r[`${m}_purchases_lo_95`]) &&
        Number(r[`${m}_expected_purchases`]) <= Number(r[`${m}_purchases_hi_95`]),
    ).length;
    expect(inside / rows.length).toBeGreaterThan(0.9);
  }
  // CLV at a 10% discount rate is below spend.
  expect(rows.every((r) => Number(r.bgnbd_clv_hi_95) <= Number(r.bgnbd_spend_hi_95) + 1e-9)).toBe(
    true,
  );
}, 120_000);

test("a PostgreSQL table made without intervals gains the columns; without --intervals none", async () => {
  const url = db.options.databaseUrl as string;
  await runScore({ ...common(), to: url, table: "scores_iv" });
  await runScore({ ...common(), to: url, table: "scores_iv", intervals: [0.9] });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select bgnbd_purchases_lo_90 as lo, bgnbd_purchases_hi_90 as hi,
      bgnbd_expected_purchases as mean from scores_iv`;
    expect(rows.length).toBe(400);
    expect(rows.every((r) => r.lo <= r.hi && r.lo >= 0)).toBe(true);
    // A later run without intervals clears them: no fresh forecast beside a stale interval.
    await runScore({ ...common(), to: url, table: "scores_iv" });
    const [left] = await sql`select count(bgnbd_purchases_lo_90)::int as n from scores_iv`;
    expect(left?.n).toBe(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
  expect(scoreColumns([]).length).toBe(csvHeader().split(",").length);
  expect(scoreColumns([0.975]).map((c) => c.name)).toContain("blend_clv_hi_97_5");
}, 120_000);

test("bad --intervals are refused naming the option", () => {
  expect(parseIntervalLevels("0.8, 0.95")).toEqual([0.8, 0.95]);
  for (const bad of [
    "",
    "0.8,",
    "1",
    "0",
    "80",
    "0.8,0.8",
    "a",
    "0.1,0.2,0.3,0.4,0.5,0.6",
    "NaN",
  ]) {
    expect(() => parseIntervalLevels(bad)).toThrow(/--intervals/);
  }
});

test("levels past 6 decimals are refused: their columns would share names or misname them", () => {
  // Before: 0.12345671,0.12345672 wrote a CSV with each _12_3457 column twice (DuckDB's Parquet
  // writer and PostgreSQL then refused the duplicate names), 1e-7 was named _0 and
  // 0.9999999999 _100.
  expect(parseIntervalLevels("0.000001,0.999999,0.975")).toEqual([0.000001, 0.999999, 0.975]);
  expect(scoreColumns([0.000001, 0.999999]).map((c) => c.name)).toContain(
    "bgnbd_purchases_lo_0_0001",
  );
  expect(() => parseIntervalLevels("0.12345671,0.12345672")).toThrow(
    "--intervals: 0.12345671 has more than 6 decimals, which its columns (…_12_3457) cannot name; pass at most 6, e.g. 0.123457",
  );
  expect(() => parseIntervalLevels("0.8,1e-7")).toThrow(
    /1e-7 has more than 6 decimals.*e\.g\. 0\.000001$/,
  );
  expect(() => parseIntervalLevels("0.9999999999")).toThrow(/e\.g\. 0\.999999$/);
});
