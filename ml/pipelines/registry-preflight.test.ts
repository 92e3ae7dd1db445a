// `ml train --register` as a real process on the CDNOW sample with a registry it cannot use: the
// database refuses connections, or the artifact store is a file. Both are said before the log is
// read (nothing trained, no --out written); they used to be found after the whole training.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CDNOW_SAMPLE_PATH } from "../data/cdnow-sample.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-registry-preflight-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(env: Record<string, string>, out: string) {
  const args = ["train", "--data", CDNOW_SAMPLE_PATH, "--format", "cdnow", "--out", out];
  const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args, "--register", "purchase"], {
    cwd: root,
    env: { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "", ...env },
  });
  return { code: run.exitCode, err: run.stderr.toString() };
}

test("a database that refuses connections: exit 1 before the log is read", () => {
  const out = join(dir, "out-db");
  const run = train({ DATABASE_URL: "postgres://127.0.0.1:1/nowhere" }, out);
  expect(run.code).toBe(1);
  expect(run.err).toContain("ECONNREFUSED");
  expect(run.err).not.toContain("[train] read"); // nothing read, nothing trained
  expect(existsSync(out)).toBe(false);
});

test("an artifact store that is a file: exit 2 naming ARTIFACT_STORE_URI before the log is read", () => {
  const file = join(dir, "not-a-directory");
  writeFileSync(file, "x");
  const out = join(dir, "out-store");
  const run = train({ ARTIFACT_STORE_URI: file }, out);
  expect(run.code).toBe(2);
  expect(run.err).toContain(
    `error: the artifact store ${file} (ARTIFACT_STORE_URI, default DATA_DIR/artifacts) cannot be written: ENOTDIR`,
  );
  expect(run.err).not.toContain("[train] read");
  expect(existsSync(out)).toBe(false);
});

test("a writable store keeps nothing of the probe", () => {
  const store = join(dir, "store");
  const run = train({ ARTIFACT_STORE_URI: store }, join(dir, "out-ok"));
  expect(run.code).toBe(0);
  expect(run.err).toContain("[train] registry reachable");
  const probes = join(store, "preflight");
  expect(existsSync(probes) ? readdirSync(probes) : []).toEqual([]);
}, 120_000);
