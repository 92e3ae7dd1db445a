// Acceptance of issue 15 end to end, with the real service over the registry `ml train` wrote:
// the served model is the production step's (every customer of the log, summarised at the data's
// last date, customers first seen after the calibration end included, GBDT present), and `ml score`
// writes for every stored customer the figures /forecast gives by id (to 1e-9), as CSV, Parquet and
// a PostgreSQL table (a rerun replaces rather than duplicates), with disjoint shards.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { readCdnowLog } from "@pp/ml/data/cdnow-reader.ts";
import { cdnowSampleOrWarn } from "@pp/ml/data/cdnow-sample.ts";
import { summarize } from "@pp/ml/features/summaries.ts";
import { openRegistryFromEnv } from "@pp/ml/pipelines/open-registry.ts";
import { lastDateOf } from "@pp/ml/pipelines/production-step.ts";
import { readLog } from "@pp/ml/pipelines/read-log.ts";
import { runSimulate } from "@pp/ml/pipelines/simulate.ts";
import { createStepLog } from "@pp/ml/pipelines/step-log.ts";
import { runTrainPipeline } from "@pp/ml/pipelines/train.ts";
import { runScore } from "@pp/ml/scoring/run-score.ts";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import type { Hono } from "hono";
import postgres from "postgres";
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { buildForecastDeps } from "../deps.ts";
import { registryModelSource } from "./model-sources.ts";
import { ortEngine } from "./ort-engine.ts";

let dir: string;
let scoresDb: TestDatabase;
const quiet = createStepLog({ write: null });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-production-"));
  scoresDb = await openTestDatabase("postgres", { migrate: false });
});

afterAll(async () => {
  await scoresDb?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

type Item = {
  id: string;
  error?: unknown;
  summary: Record<string, number>;
  recommended: string;
  models: Record<string, Record<string, number | null>>;
};

/** Opens the registry in `env`, serves its production model and answers /forecast by id. */
async function forecastsById(
  env: Record<string, string>,
  model: string,
  ids: string[],
  horizon: { value: number; unit: "week" | "day" },
  rate: number,
): Promise<{ items: Map<string, Item>; info: Record<string, unknown> }> {
  const opened = await openRegistryFromEnv(env);
  try {
    const deps = buildForecastDeps(parseConfig({ MODEL_POLL_INTERVAL_MS: "0" }), {
      runtime: "test",
      modelSource: registryModelSource({
        registry: opened.registry,
        db: opened.db,
        modelName: model,
        engine: ortEngine,
        driver: "pglite",
      }),
      overrides: { logger: createLogger({ sink: () => {} }) },
    });
    const app = createApp(deps) as unknown as Hono<never>;
    expect(await deps.model.refresh()).toBe("loaded");
    const items = new Map<string, Item>();
    for (let start = 0; start < ids.length; start += 10_000) {
      const res = await app.request("/forecast", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          horizon,
          discount_rate: rate,
          customers: ids.slice(start, start + 10_000).map((id) => ({ id })),
        }),
      });
      expect(res.status).toBe(200);
      for (const item of ((await res.json()) as { forecasts: Item[] }).forecasts) {
        items.set(item.id, item);
      }
    }
    const info = (await (await app.request("/model-info")).json()) as Record<string, unknown>;
    await deps.model.current?.release();
    return { items, info };
  } finally {
    await opened.close();
  }
}

const MODELS = ["bgnbd", "pareto_nbd", "gbdt"] as const;
const FIELDS = ["expected_purchases", "p_alive", "p_purchase", "expected_spend", "clv"] as const;

/** Every scored row equals /forecast's item to 1e-9 (/forecast rounds to 9 decimals). */
function expectRowsEqualForecasts(rows: Record<string, unknown>[], items: Map<string, Item>) {
  expect(rows.length).toBe(items.size);
  let worst = 0;
  for (const row of rows) {
    const item = items.get(String(row.customer_id)) as Item;
    expect(item?.error).toBeUndefined();
    expect(row.recommended).toBe(item.recommended);
    expect(Number(row.frequency)).toBe(item.summary.frequency as number);
    for (const m of MODELS) {
      for (const f of FIELDS) {
        const want = item.models[m]?.[f];
        const got = row[`${m}_${f}`];
        if (want === undefined || want === null) {
          expect(got === null || got === "" || got === undefined).toBe(true);
          continue;
        }
        const diff = Math.abs(Number(got) - want);
        worst = Math.max(worst, diff);
        expect(diff).toBeLessThanOrEqual(1e-9);
      }
    }
  }
  return worst;
}

async function csvRecords(path: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(path, "utf8")).trimEnd().split("\n");
  const names = (header as string).split(",");
  return lines.map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(names.map((n, i) => [n, cells[i] as string]));
  });
}

async function parquetRecords(path: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`select * from '${path}'`);
    return reader.getRowObjects() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test("after train --register --promote, /forecast by id answers every customer as of the last date, with GBDT; ml score equals it", async () => {
  // 2,000 customers acquired from 1997-01-01, plus 150 first seen after the calibration end.
  const csv = join(dir, "sim.csv");
  const late = join(dir, "late.csv");
  await runSimulate({ model: "bgnbd", customers: 2000, seed: 3, out: csv });
  await runSimulate({ model: "bgnbd", customers: 150, seed: 4, start: "1997-11-01", out: late });
  const lateRows = (await readFile(late, "utf8"))
    .trimEnd()
    .split("\n")
    .slice(1)
    .filter((line) => (line.split(",")[1] as string) <= "1998-06-30")
    .map((line) => `late-${line}`);
  await appendFile(csv, `${lateRows.join("\n")}\n`);
  const env = { DATA_DIR: join(dir, "sim-data") };
  const trained = await runTrainPipeline({
    data: csv,
    format: "csv",
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
    out: join(dir, "sim-out"),
    folds: 3,
    fast: true,
    register: "sim",
    promote: true,
    env,
    steps: quiet,
    print: () => {},
  });
  expect(trained.trained.metrics.data.excluded_after_calibration).toBe(150);
  expect(trained.production?.metrics.fits.gbdt?.features_at).toBe("1997-09-30");

  const { log } = await readLog({ path: csv, format: "csv" });
  const lastDate = lastDateOf(log);
  const expected = summarize(log, { calibrationEnd: lastDate, timeUnit: "week" });
  expect(expected.n).toBe(2150);
  const { items, info } = await forecastsById(
    env,
    "sim",
    expected.ids,
    { value: 39, unit: "week" },
    0.1,
  );
  for (let i = 0; i < expected.n; i++) {
    const item = items.get(expected.ids[i] as string) as Item;
    expect(item.error).toBeUndefined();
    expect(item.summary.frequency).toBe(expected.x[i] ?? Number.NaN);
    expect(item.summary.recency).toBeCloseTo(expected.tx[i] ?? Number.NaN, 8);
    expect(item.summary.T).toBeCloseTo(expected.T[i] ?? Number.NaN, 8);
    expect(item.summary.monetary).toBeCloseTo(expected.monetary[i] ?? Number.NaN, 8);
    expect(item.models.gbdt?.expected_purchases).toBeGreaterThan(0);
  }
  expect(info.production).toMatchObject({ as_of: lastDate, customers: 2150 });
  expect(info.evaluation).toMatchObject({ split: { calibration_end: "1997-09-30" } });
  expect(info.gbdt).not.toBeNull();

  // ml score: all customers in one run, and three disjoint shards that add up to them.
  const common = { model: "sim", horizon: "39w", discountRate: 0.1, env, print: () => {} };
  await runScore({ ...common, out: join(dir, "sim.csv.out.csv"), pageSize: 700 });
  expectRowsEqualForecasts(await csvRecords(join(dir, "sim.csv.out.csv")), items);
  const seen = new Set<string>();
  let total = 0;
  for (let s = 0; s < 3; s++) {
    const out = join(dir, `shard-${s}.csv`);
    const r = await runScore({ ...common, out, shard: { index: s, count: 3 } });
    const rows = await csvRecords(out);
    expect(rows.length).toBe(r.rows);
    expect(rows.length).toBeGreaterThan(500);
    for (const row of rows) {
      expect(seen.has(row.customer_id as string)).toBe(false);
      seen.add(row.customer_id as string);
    }
    total += rows.length;
  }
  expect(total).toBe(2150);
}, 300_000);

test("ml score on the CDNOW production version: 2,357 rows equal to /forecast by id as CSV, Parquet and a PostgreSQL table; a rerun replaces", async () => {
  const sample = cdnowSampleOrWarn("production-scoring.test.ts");
  if (!sample) return;
  const env = { DATA_DIR: join(dir, "cdnow-data") };
  await runTrainPipeline({
    data: sample,
    format: "cdnow",
    calibrationEnd: "1997-09-30",
    holdoutEnd: "1998-06-30",
    timeUnit: "week",
    out: join(dir, "cdnow-out"),
    register: "purchase",
    promote: true,
    env,
    steps: quiet,
    print: () => {},
  });
  const { log } = await readCdnowLog(sample);
  const ids = summarize(log, { calibrationEnd: "1998-06-30", timeUnit: "week" }).ids;
  expect(ids.length).toBe(2357);
  const { items } = await forecastsById(env, "purchase", ids, { value: 52, unit: "week" }, 0.1);
  const common = { model: "purchase", horizon: "52w", discountRate: 0.1, env, print: () => {} };

  const csvPath = join(dir, "cdnow.csv");
  expect((await runScore({ ...common, out: csvPath })).rows).toBe(2357);
  const worst = expectRowsEqualForecasts(await csvRecords(csvPath), items);
  console.log(`CDNOW: ml score vs /forecast by id, largest difference ${worst.toExponential(2)}`);

  const parquetPath = join(dir, "cdnow.parquet");
  await runScore({ ...common, out: parquetPath });
  const parquet = await parquetRecords(parquetPath);
  expectRowsEqualForecasts(parquet, items);
  expect(String(parquet[0]?.as_of)).toBe("1998-06-30");

  const url = scoresDb.options.databaseUrl as string;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (let run = 0; run < 2; run++) {
      await runScore({ ...common, to: url, table: "scores" });
      const rows = await sql`select * from scores`;
      expectRowsEqualForecasts(rows as unknown as Record<string, unknown>[], items);
    }
    const [counts] =
      await sql`select count(*)::int as n, count(distinct customer_id)::int as ids from scores`;
    expect(counts).toEqual({ n: 2357, ids: 2357 });
  } finally {
    await sql.end({ timeout: 5 });
  }
}, 300_000);
