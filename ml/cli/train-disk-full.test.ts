// `ml train --register` as a real process whose artifact store (ARTIFACT_STORE_URI) is a tmpfs with
// 100 KB free: one line naming the file it could not write, exit 1, no version, no file left in
// the store (the part written used to stay as a `.tmp-` file, which `ml gc` does not list); with
// the space freed the same command registers v1. And with DATA_DIR (the embedded store) on a full
// disk: one line naming the lock file it could not write (was Node's ENOSPC and a stack), then v1
// once freed. Needs root to mount: skipped loudly otherwise.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fillDisk, mountSmallDisk, unmountSmallDisk } from "@pp/shared/testing/small-disk.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-train-disk-full-"));
const disk = join(dir, "disk");
const dataDisk = join(dir, "data-disk"); // PGlite needs ~40 MB

const mounted =
  mountSmallDisk(disk, "1m", "train-disk-full.test.ts") &&
  mountSmallDisk(dataDisk, "64m", "train-disk-full.test.ts");

afterAll(() => {
  for (const path of [disk, dataDisk]) unmountSmallDisk(path);
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  ...process.env,
  DATA_DIR: join(dir, "data"),
  DATABASE_URL: "",
  ARTIFACT_STORE_URI: `file://${disk}/artifacts`,
};
const ml = (...args: string[]) => mlIn(env, ...args);
const mlIn = (env: Record<string, string | undefined>, ...args: string[]) =>
  Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], { cwd: root, env });
const data = join(dir, "sim.csv");
const train = [
  ...["train", "--data", data, "--calibration-end", "1997-09-30", "--holdout-end"],
  ...["1998-06-30", "--out", join(dir, "out"), "--fast", "--folds", "2"],
  ...["--register", "purchase", "--promote"],
];
const filesUnder = (path: string): string[] =>
  readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

test.skipIf(!mounted)(
  "a full artifact disk: one line naming the file, nothing registered or left; after freeing, v1",
  () => {
    expect(ml("simulate", "--customers", "600", "--seed", "7", "--out", data).exitCode).toBe(0);
    writeFileSync(join(disk, "filler"), new Uint8Array(1024 * 1024 - 100 * 1024));
    const full = ml(...train);
    const lines = full.stderr.toString().trim().split("\n");
    expect(full.exitCode).toBe(1);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^error: could not write ${disk}/artifacts/models/purchase/.+ \\(ENOSPC: `),
    );
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]); // no stack
    expect(filesUnder(join(disk, "artifacts"))).toEqual([]); // was ["report.html.tmp-…"]
    expect(ml("models").stdout.toString()).not.toContain("purchase");

    rmSync(join(disk, "filler"));
    const retry = ml(...train);
    expect(retry.stdout.toString() + retry.stderr.toString()).toContain(
      "registered purchase v1 (production)",
    );
    expect(retry.exitCode).toBe(0);
  },
  60_000,
);

test.skipIf(!mounted)(
  "a full DATA_DIR disk: one line naming the lock file, nothing registered; after freeing, v1",
  () => {
    const dataEnv = {
      ...env,
      DATA_DIR: join(dataDisk, "data"),
      ARTIFACT_STORE_URI: `file://${dir}/artifacts`,
    };
    if (!existsSync(data)) ml("simulate", "--customers", "600", "--seed", "7", "--out", data);
    mkdirSync(join(dataDisk, "data"));
    const filler = join(dataDisk, "filler");
    fillDisk(filler);
    const full = mlIn(dataEnv, ...train);
    const lines = full.stderr.toString().trim().split("\n");
    expect(full.exitCode).toBe(1);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^error: could not write ${dataDisk}/data/pglite\\.lock.* \\(ENOSPC: `),
    );
    expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]); // no stack

    rmSync(filler);
    const retry = mlIn(dataEnv, ...train);
    expect(retry.stdout.toString() + retry.stderr.toString()).toContain(
      "registered purchase v1 (production)",
    );
  },
  60_000,
);
