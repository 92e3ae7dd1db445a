// `ml train --register` as a real process whose artifact store (ARTIFACT_STORE_URI) is a tmpfs with
// 100 KB free: one line naming the file it could not write, exit 1, no version, no file left in
// the store (the part written used to stay as a `.tmp-` file, which `ml gc` does not list); with
// the space freed the same command registers v1. Needs root to mount: skipped loudly otherwise.
import { afterAll, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-train-disk-full-"));
const disk = join(dir, "disk");

function mountSmallDisk(): boolean {
  mkdirSync(disk);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk], { stdio: "ignore" });
    return true;
  } catch {
    console.warn("SKIPPED train-disk-full.test.ts: cannot mount a tmpfs here (needs root)");
    return false;
  }
}
const mounted = mountSmallDisk();

afterAll(() => {
  if (mounted) execFileSync("umount", [disk]);
  rmSync(dir, { recursive: true, force: true });
});

const env = {
  ...process.env,
  DATA_DIR: join(dir, "data"),
  DATABASE_URL: "",
  ARTIFACT_STORE_URI: `file://${disk}/artifacts`,
};
const ml = (...args: string[]) =>
  Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], { cwd: root, env });
const filesUnder = (path: string): string[] =>
  readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

test.skipIf(!mounted)(
  "a full artifact disk: one line naming the file, nothing registered or left; after freeing, v1",
  () => {
    const data = join(dir, "sim.csv");
    expect(ml("simulate", "--customers", "600", "--seed", "7", "--out", data).exitCode).toBe(0);
    writeFileSync(join(disk, "filler"), new Uint8Array(1024 * 1024 - 100 * 1024));
    const train = [
      ...["train", "--data", data, "--calibration-end", "1997-09-30", "--holdout-end"],
      ...["1998-06-30", "--out", join(dir, "out"), "--fast", "--folds", "2"],
      ...["--register", "purchase", "--promote"],
    ];
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
