// The promotion gate against a real (embedded) registry: a worse candidate stays staged, one within
// the tolerance is promoted, and a production version without an evaluation section is not compared.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { ModelRegistry } from "@pp/shared/registry/model-registry.ts";
import { openTestDatabase, type TestDatabase } from "@pp/shared/testing/test-databases.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import type { EvaluationSection } from "../bundle/training-metrics.ts";
import { PROMOTION_TOLERANCE, promotionDecision } from "./promotion-gate.ts";

let db: TestDatabase;
let dir: string;
let registry: ModelRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-gate-"));
  db = await openTestDatabase("pglite");
  registry = new ModelRegistry(db.handle.db, new FileArtifactStore(join(dir, "artifacts")));
});

afterAll(async () => {
  await db?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const evaluation = (deviance: number | null): EvaluationSection => ({
  split: {
    calibration_end: "1997-09-30",
    holdout_end: "1998-06-30",
    holdout_length: 39,
    time_unit: "week",
    customers: 2357,
  },
  recommended: "gbdt",
  poisson_deviance: { gbdt: deviance },
  recommended_poisson_deviance: deviance,
});

async function register(name: string, metrics: object) {
  return registry.registerVersion(name, {
    artifacts: [
      { name: BUNDLE_FILES.metrics, bytes: new TextEncoder().encode(JSON.stringify(metrics)) },
    ],
    params: {},
    metrics: {},
    dataWindow: { calibrationEnd: "1998-06-30" },
    timeUnit: "week",
    trainedAt: new Date(),
    customerFeatures: [],
    promote: true,
  });
}

test("worse beyond the tolerance stays out; within it is promoted; no recorded deviance is not compared", async () => {
  await register("m", { evaluation: evaluation(1.6) });
  const worse = await promotionDecision(
    registry,
    "m",
    evaluation(1.6 * (1 + 2 * PROMOTION_TOLERANCE)),
  );
  expect(worse.promote).toBe(false);
  expect(worse.reason).toMatch(
    /^worse: Poisson deviance 1\.6160 \(gbdt\) vs 1\.6000 \(gbdt\) of production v1, tolerance 0\.5%/,
  );
  const within = await promotionDecision(
    registry,
    "m",
    evaluation(1.6 * (1 + PROMOTION_TOLERANCE / 2)),
  );
  expect(within).toMatchObject({ promote: true, production: { version: 1, deviance: 1.6 } });
  const better = await promotionDecision(registry, "m", evaluation(1.5));
  expect(better.promote).toBe(true);
  const none = await promotionDecision(registry, "m", evaluation(null));
  expect(none.promote).toBe(false);
  expect(none.reason).toContain("no holdout deviance");

  await register("old", { models: {} });
  const old = await promotionDecision(registry, "old", evaluation(1.5));
  expect(old.promote).toBe(false);
  expect(old.reason).toContain("no recorded evaluation deviance");
});
