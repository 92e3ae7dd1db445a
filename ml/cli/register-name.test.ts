// `ml train --register NAME` as a real process on the CDNOW sample: a name the registry cannot take
// is refused before the log is read. It used to train the whole bundle, write it to --out and only
// then fail. The commands that look a name up refuse it as their option parser too: they used to
// open the store first (creating DATA_DIR) and answer "no model named" after ~5 s.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CDNOW_SAMPLE_PATH } from "../data/cdnow-sample.ts";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-register-name-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A name as commander's "argument … is invalid" quotes it: past 64 characters cut, its length said. */
const quoted = (name: string) =>
  name.length > 64 ? `'${name.slice(0, 64)}…' (${name.length} characters)` : `'${name}'`;

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
      `option '--register <name>' argument ${quoted(name)} is invalid. expected 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(dir, "data"))).toBe(false);
  }
});

test("a name no model can have, given to promote, rollback, models, score, track or publish: exit 2 naming the argument, no store opened", () => {
  const refused = (name: string) => `${quoted(name)} is invalid`;
  const commands = (name: string) => [
    ["promote", name, "1"],
    ["rollback", name],
    ["models", name],
    ["score", "--model", name, "--out", join(dir, "s.csv")],
    ["track", "--model", name, "--data", CDNOW_SAMPLE_PATH, "--format", "cdnow"],
    ["publish", name, "--target", "cloudflare", "--local"],
  ];
  for (const name of ["../evil", "a/b", "x".repeat(129)]) {
    for (const args of commands(name)) {
      const dataDir = join(dir, "lookup-data");
      const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], {
        cwd: root,
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "" },
      });
      const err = run.stderr.toString();
      expect({ args, code: run.exitCode }).toEqual({ args, code: 2 });
      expect(err).toContain(refused(name));
      expect(err).toContain("expected 1-128 characters of letters, digits");
      expect({ args, created: existsSync(dataDir) }).toEqual({ args, created: false });
    }
  }
});
