// `ml track` measures the blend, the model CDNOW training recommends and the service serves: it
// tracked BG/NBD, Pareto/NBD and the GBDT only. Its forecast is the one `ml score` writes.
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cdnowSampleOrWarn } from "../data/cdnow-sample.ts";

const root = join(import.meta.dirname, "..", "..");
const path = cdnowSampleOrWarn("ml track of the blend on CDNOW");

function ml(args: string[], dataDir: string): string {
  const run = Bun.spawnSync([process.execPath, "ml/cli.ts", ...args], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", ML_WORKERS: "1" },
  });
  if (run.exitCode !== 0) throw new Error(`ml ${args[0]}: ${run.stderr.toString()}`);
  return run.stdout.toString();
}

test.skipIf(path === null)(
  "ml track on CDNOW's 39 weeks has a blend line whose forecast is ml score's blend total",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "pp-track-blend-"));
    const data = join(dir, "data");
    const cdnow = ["--data", path as string, "--format", "cdnow"];
    try {
      ml(
        [
          "train",
          ...cdnow,
          "--calibration-end",
          "1997-09-30",
          "--holdout-end",
          "1998-06-30",
          "--out",
          join(dir, "out"),
          "--evaluate-only",
          "--register",
          "cdnow",
          "--promote",
        ],
        data,
      );
      const tracked = ml(
        ["track", "--model", "cdnow", ...cdnow, "--window-end", "1998-06-30"],
        data,
      );
      const line = tracked.split("\n").find((l) => l.trim().startsWith("blend:"));
      expect(line).toBeDefined();
      const forecast = Number(line?.match(/vs forecast ([\d.]+)/)?.[1]);
      ml(["score", "--model", "cdnow", "--horizon", "39w", "--out", join(dir, "s.csv")], data);
      const [header, ...rows] = readFileSync(join(dir, "s.csv"), "utf8").trim().split("\n");
      const column = header!.split(",").indexOf("blend_expected_purchases");
      const total = rows.reduce((sum, r) => sum + Number(r.split(",")[column]), 0);
      expect(Math.abs(forecast - total)).toBeLessThan(0.001);
      expect(line).toContain("realized 1882");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  120_000,
);
