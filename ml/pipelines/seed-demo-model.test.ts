// The demo model's start-up step: seeds a fresh registry once, leaves a production version alone,
// honours DEMO_MODEL=false, and names the variable when it is unreadable.
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@pp/shared/logging/logger.ts";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { openRegistryFromEnv } from "./open-registry.ts";
import { seedDemoModelFromEnv } from "./seed-demo-model.ts";

const dir = mkdtempSync(join(tmpdir(), "pp-seed-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = createLogger({ sink: () => {} });
const env = { DATA_DIR: join(dir, "data"), DATABASE_URL: "", ARTIFACT_STORE_URI: "" };

test("DEMO_MODEL=false seeds nothing; an unreadable value names the variable", async () => {
  expect(await seedDemoModelFromEnv({ ...env, DEMO_MODEL: "false" }, quiet)).toBeNull();
  await expect(seedDemoModelFromEnv({ ...env, DEMO_MODEL: "maybe" }, quiet)).rejects.toThrow(
    "DEMO_MODEL: must be true or false",
  );
  await expect(seedDemoModelFromEnv({ ...env, MODEL_NAME: "no spaces" }, quiet)).rejects.toThrow(
    "MODEL_NAME: must be a model name",
  );
  const opened = await openRegistryFromEnv(env);
  try {
    expect(await opened.registry.getProductionVersion("purchase")).toBeNull();
  } finally {
    await opened.close();
  }
});

test("a fresh registry gets the demo model as production once", async () => {
  const first = await seedDemoModelFromEnv({ ...env, MODEL_NAME: "demo" }, quiet);
  expect(first).toMatchObject({ created: true, version: 1 });
  const again = await seedDemoModelFromEnv({ ...env, MODEL_NAME: "demo" }, quiet);
  expect(again).toMatchObject({ created: false, version: 1 });
  const opened = await openRegistryFromEnv(env);
  try {
    expect((await opened.registry.getProductionVersion("demo"))?.version).toBe(1);
  } finally {
    await opened.close();
  }
}, 300_000);

test("npm run start:forecast's seeding step on a store it cannot open: one line naming it, exit 1", async () => {
  const storeDir = mkdtempSync(join(tmpdir(), "pp-seed-store-"));
  const notAFolder = join(storeDir, "a-file");
  writeFileSync(notAFolder, "");
  const cases: [Record<string, string>, RegExp][] = [
    [
      { DATABASE_URL: "", DATA_DIR: notAFolder },
      /^error: demo model not seeded: could not open the embedded store at DATA_DIR=\S+a-file: EEXIST/,
    ],
    [
      { DATABASE_URL: `postgres://u:s3cret@127.0.0.1:${await freePort()}/db` },
      /^error: demo model not seeded: could not reach the database at DATABASE_URL=postgres:\/\/u:\*\*\*@/,
    ],
  ];
  try {
    for (const [env, expected] of cases) {
      const seeded = spawnSync(
        process.execPath,
        [join(import.meta.dirname, "seed-demo-model.ts")],
        {
          env: { ...process.env, DEMO_MODEL: "", ...env },
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(seeded.status).toBe(1);
      // It was Bun's uncaught-error report: source lines and a stack.
      const lines = seeded.stderr.trim().split("\n");
      expect(lines, seeded.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
      expect(seeded.stderr).not.toContain("s3cret");
    }
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}, 120_000);
