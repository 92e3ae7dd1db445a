// Test support without a database: a small demo model trained in memory (the demo-model recipe
// with fewer customers) as exported-bundle files, plus the simulated transaction log it came from.
import type { TransactionLog } from "@pp/ml/data/transaction-log.ts";
import { buildBundle } from "@pp/ml/pipelines/build-bundle.ts";
import { trainSimulatedDemo } from "@pp/ml/pipelines/demo-model.ts";
import { customerFeatureRows } from "@pp/ml/pipelines/train-models.ts";
import { encodeBundle } from "../model/exported-bundle.ts";
import type { RawModel } from "../model/registry-source.ts";

export interface DemoBundle {
  files: Map<string, Uint8Array>;
  raw: RawModel;
  log: TransactionLog;
}

export async function trainDemoBundle(
  options: { customers?: number; seed?: number } = {},
): Promise<DemoBundle> {
  const customers = options.customers ?? 400;
  const seed = options.seed ?? 11;
  const { log, summaries, trained } = await trainSimulatedDemo({
    customers,
    seed,
    source: "test demo",
  });
  const trainedAt = new Date("2026-01-01T00:00:00Z");
  const bundle = buildBundle(trained, { name: "purchase", trainedAt, reportHtml: "<html></html>" });
  const raw: RawModel = {
    identity: {
      name: "purchase",
      version: 1,
      stage: "production",
      trainedAt: trainedAt.toISOString(),
      artifactSha256: "0".repeat(64),
      dataWindow: {
        calibration_end: trained.metrics.data.calibration_end,
        holdout_end: trained.metrics.data.holdout_end,
      },
      metrics: {},
      source: "test",
    },
    files: new Map([...bundle].filter(([name]) => name !== "report.html")),
    customerRows: [...customerFeatureRows(summaries, trained.features)].map((row) => ({
      ...row,
      features: Array.from(row.features),
    })),
  };
  return { files: await encodeBundle(raw), raw, log };
}

/** One small demo model's bundle files as version 1 and, otherwise identical, as version 2. */
export async function twoDemoVersions(
  options: { customers?: number; seed?: number } = {},
): Promise<{ v1: Map<string, Uint8Array>; v2: Map<string, Uint8Array> }> {
  const demo = await trainDemoBundle(options);
  const v2 = await encodeBundle({ ...demo.raw, identity: { ...demo.raw.identity, version: 2 } });
  return { v1: demo.files, v2 };
}

/** A reader over in-memory bundle files (what the bundle sources take). */
export function memoryReader(files: Map<string, Uint8Array>) {
  return async (name: string): Promise<Uint8Array> => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`no file ${name}`);
    return bytes;
  };
}
