// `ml train --register NAME` as a real process on the CDNOW sample: a name the registry cannot take
// is refused before the log is read. It used to train the whole bundle, write it to --out and only
// then fail.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CDNOW_SAMPLE_PATH } from "../data/cdnow-sample.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-register-name-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a name the registry cannot take: exit 2 naming --register, nothing trained or written", () => {
  for (const name of ["../evil", ".hidden", "a/b", "x".repeat(129), "é"]) {
    const out = join(dir, "out");
    const run = Bun.spawnSync(
      [
        process.execPath,
        "ml/cli.ts",
        "train",
        "--data",
        CDNOW_SAMPLE_PATH,
        "--format",
        "cdnow",
        "--out",
        out,
        "--register",
        name,
        "--promote",
      ],
      { cwd: root, env: { ...process.env, DATA_DIR: join(dir, "data"), DATABASE_URL: "" } },
    );
    const err = run.stderr.toString();
    expect({ name, code: run.exitCode }).toEqual({ name, code: 2 });
    expect(err).toContain(
      `option '--register <name>' argument '${name}' is invalid. expected 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "data"))).toBe(false);
  }
});
