// `ml score --data`'s memory, checked by what it holds rather than by timing: the registry (the
// embedded store took 0.22 GB) is closed before the log is read, and a log's customers are kept
// as typed columns and paged when scored, not all paged up front (a 1.2M-line export peaked at
// 0.98-1.07 GB against 0.66-0.74 GB after, the same output byte for byte).
import { afterAll, beforeAll, expect, mock, test } from "bun:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDemoModel } from "../pipelines/demo-model.ts";
import * as openRegistryModule from "../pipelines/open-registry.ts";
import * as readLogModule from "../pipelines/read-log.ts";
import { runSimulate } from "../pipelines/simulate.ts";
import { logCustomers, logPages } from "./customer-pages.ts";
import { runScore } from "./run-score.ts";
import { scoringModel } from "./scoring-model.ts";

let dir: string;
let env: Record<string, string | undefined>;
let logPath: string;
const events: string[] = [];

// The real registry and reader, watched: the order they are used in is what is checked.
const realOpen = openRegistryModule.openRegistryFromEnv;
const realReadLog = readLogModule.readLog;
mock.module("../pipelines/open-registry.ts", () => ({
  ...openRegistryModule,
  openRegistryFromEnv: async (e?: Record<string, string | undefined>) => {
    const opened = await realOpen(e);
    return {
      ...opened,
      close: async () => {
        events.push("registry closed");
        await opened.close();
      },
    };
  },
}));
mock.module("../pipelines/read-log.ts", () => ({
  ...readLogModule,
  readLog: async (request: Parameters<typeof realReadLog>[0]) => {
    events.push("log read");
    return realReadLog(request);
  },
}));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-score-memory-"));
  env = { ...process.env, DATABASE_URL: undefined, DATA_DIR: join(dir, "registry") };
  delete env.ARTIFACT_STORE_URI;
  const opened = await realOpen(env);
  try {
    await ensureDemoModel({
      registry: opened.registry,
      modelName: "demo",
      customers: 300,
      seed: 3,
    });
  } finally {
    await opened.close();
  }
  logPath = join(dir, "log.csv");
  await runSimulate({ model: "bgnbd", customers: 300, seed: 4, out: logPath });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("ml score --data closes the registry before it reads the log", async () => {
  events.length = 0;
  const out = join(dir, "scores.csv");
  const result = await runScore({
    model: "demo",
    data: logPath,
    out,
    horizon: "26w",
    discountRate: 0,
    env,
    print: () => {},
    progress: false,
  });
  expect(result.rows).toBeGreaterThan(0);
  // Once each, closed first: open while the log was read, it held its memory through the read.
  expect(events).toEqual(["registry closed", "log read"]);
  expect((await readFile(out, "utf8")).trim().split("\n").length).toBe(result.rows + 1);
}, 120_000);

test("a log's customers are typed columns, paged only when asked for", async () => {
  const opened = await realOpen(env);
  let model: Awaited<ReturnType<typeof scoringModel>> | null = null;
  try {
    const version = await opened.registry.getProductionVersion("demo");
    if (!version) throw new Error("no demo version");
    const files = new Map<string, Uint8Array>();
    for (const a of version.artifacts) {
      files.set(a.name, await opened.registry.loadArtifact(version, a.name));
    }
    model = await scoringModel(files);
    const { log } = await realReadLog({ path: logPath, format: "csv" });
    const customers = logCustomers(log, model, "1998-06-30", null);
    // No per-customer objects: every column and the feature matrix are typed arrays.
    const { summaries, X, rows } = customers;
    for (const column of [summaries.x, summaries.tx, summaries.T, summaries.monetary]) {
      expect(column).toBeInstanceOf(Float64Array);
    }
    expect(X).toBeInstanceOf(Float32Array);
    expect(rows).toBeInstanceOf(Int32Array);
    expect(rows.length).toBe(summaries.n);
    // A generator: no page exists before it is asked for, and the pages cover every customer once.
    const pages = logPages(customers, 64);
    expect(typeof pages.next).toBe("function");
    const ids: string[] = [];
    for (const page of pages) {
      expect(page.ids.length).toBeLessThanOrEqual(64);
      ids.push(...page.ids);
    }
    expect(ids).toEqual(Array.from(rows, (i) => summaries.ids[i] as string));
  } finally {
    await model?.release();
    await opened.close();
  }
}, 120_000);
