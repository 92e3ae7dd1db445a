// `ml promote` and `ml rollback` as real processes on the embedded store: version arguments that
// are not plain numbers are refused before anything changes; a version whose files were changed or
// removed after registration is never made production; and a rollback after a rollback and a
// promotion returns to the version that was production, not to the one rolled back from.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FileArtifactStore } from "@pp/shared/artifacts/file-artifact-store.ts";
import { createDatabase } from "@pp/shared/db/client.ts";
import { ModelRegistry, type ModelVersionInfo } from "@pp/shared/registry/model-registry.ts";
import { registrationInput } from "@pp/shared/testing/registration-input.ts";

const root = resolve(import.meta.dirname, "../..");
let dir: string;
let env: Record<string, string>;
/** Each test's own model: its versions 1..4 by number (index 0 is v1). */
const versions = new Map<string, ModelVersionInfo[]>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-promote-cli-"));
  const dataDir = join(dir, "data");
  const artifacts = `file://${join(dir, "artifacts")}`;
  env = { DATA_DIR: dataDir, ARTIFACT_STORE_URI: artifacts };
  const handle = await createDatabase({ dataDir });
  try {
    const registry = new ModelRegistry(handle.db, new FileArtifactStore(artifacts));
    for (const model of ["args", "files", "history"]) {
      const registered: ModelVersionInfo[] = [];
      for (let i = 0; i < 4; i++)
        registered.push(await registry.registerVersion(model, registrationInput([])));
      versions.set(model, registered);
    }
  } finally {
    await handle.close();
  }
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `ml ARGS` on the test's store; its exit code and output. */
function ml(...args: string[]): { code: number; out: string; err: string } {
  return mlWith({}, ...args);
}

/** `ml ARGS` with these variables over the test's. */
function mlWith(vars: Record<string, string>, ...args: string[]) {
  const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/", ...env, ...vars },
  });
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() };
}

/** The production version of `model`, read by `ml models`. */
function production(model: string): string | undefined {
  const line = ml("models", model)
    .out.split("\n")
    .find((l) => /\bproduction\b/.test(l));
  return line?.split(/\s+/)[1];
}

/** The file of `model` v`version`'s first artifact. */
function artifactFile(model: string, version: number): string {
  const uri = versions.get(model)?.[version - 1]?.artifacts[0]?.uri;
  if (!uri) throw new Error(`no artifact of ${model} v${version}`);
  return fileURLToPath(uri);
}

test("version arguments that are not plain version numbers: one line, exit 2, nothing changed", () => {
  expect(ml("promote", "args", "1").code).toBe(0);
  // Number() reads "0x3" as 3, "3e0" as 3, " 2" as 2; past int4 the query itself failed.
  for (const bad of ["0x3", "3e0", " 2", "2.0", "0b11", "1e308", "2147483648", "-1", "0", ""]) {
    const { code, err } = ml("promote", "args", bad);
    expect({ bad, code }).toEqual({ bad, code: 2 });
    expect(err.trim()).toBe(
      `error: version: must be a version number from 1 to 2147483647 such as 3 or v3, got ${JSON.stringify(bad)}`,
    );
  }
  expect(production("args")).toBe("1");
  // Refused before the store is opened: a mistyped version does not create a DATA_DIR.
  const untouched = join(dir, "never-created");
  expect(mlWith({ DATA_DIR: untouched }, "promote", "args", "0x3").code).toBe(2);
  expect(existsSync(untouched)).toBe(false);
  const out = join(dir, "s.csv");
  const score = ml("score", "--model", "args", "--version", "9999999999", "--out", out);
  expect(score.code).toBe(2);
  expect(score.err).toContain("expected a version number from 1 to 2147483647");
  expect(ml("promote", "args", "v2").out.trim()).toBe("args v2 is production; v1 archived");
}, 120_000);

test("a version whose files changed or went after registration is not made production", () => {
  expect(ml("promote", "files", "1").code).toBe(0);
  expect(ml("promote", "files", "2").code).toBe(0);
  truncateSync(artifactFile("files", 3), 1);
  const promoted = ml("promote", "files", "3");
  expect(promoted.code).toBe(1);
  expect(promoted.err.trim().split("\n")).toHaveLength(1);
  expect(promoted.err).toContain(
    'error: files v3 was not promoted: checksum mismatch for artifact "model.json"',
  );
  expect(promoted.err).toContain("promote another version (ml models lists them)");
  rmSync(artifactFile("files", 3));
  expect(ml("promote", "files", "3").err).toContain(
    "files v3 was not promoted: artifact not found",
  );
  expect(production("files")).toBe("2");
  // The previous production version broken: the rollback is refused, production stays.
  truncateSync(artifactFile("files", 1), 0);
  const rolledBack = ml("rollback", "files");
  expect(rolledBack.code).toBe(1);
  expect(rolledBack.err).toContain("error: files v1 was not rolled back to: checksum mismatch");
  expect(production("files")).toBe("2");
  // What a version's files are checked for is what `ml score` says about them too: one line.
  const score = ml("score", "--model", "files", "--version", "3", "--out", join(dir, "f.csv"));
  expect([score.code, score.err.trim()]).toEqual([
    1,
    expect.stringMatching(/^error: artifact not found: file:\/\/\S+$/),
  ]);
}, 120_000);

test("rollback, promote, rollback: back to the version that was production, not the one rolled back from", () => {
  // A CLI given another artifact store cannot check the files: it promotes and says so.
  const elsewhere = mlWith(
    { ARTIFACT_STORE_URI: join(dir, "elsewhere") },
    "promote",
    "history",
    "1",
  );
  expect(elsewhere.code).toBe(0);
  expect(elsewhere.out).toContain(
    "history v1 is production\n(its files were not checked: they are in file://",
  );
  expect(ml("promote", "history", "2").code).toBe(0);
  expect(ml("rollback", "history").out.trim()).toBe(
    "history rolled back: v1 is production; v2 archived",
  );
  expect(ml("promote", "history", "3").code).toBe(0);
  // v1 was production before v3; v2 had been rolled back from (it came back before the fix).
  expect(ml("rollback", "history").out.trim()).toBe(
    "history rolled back: v1 is production; v3 archived",
  );
  expect(production("history")).toBe("1");
}, 120_000);
