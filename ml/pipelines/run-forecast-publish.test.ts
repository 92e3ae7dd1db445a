// `ml publish` runs the forecast service's publish step as its own process: the options arrive as
// they were given, and a refusal of the step is the CLI's failure (exit code and message).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { publishArguments } from "./run-forecast-publish.ts";

const root = join(import.meta.dirname, "../..");

test("the parsed options become the step's arguments", () => {
  expect(publishArguments("purchase", undefined, { target: "cloudflare" })).toEqual([
    "purchase",
    "--target",
    "cloudflare",
  ]);
  expect(
    publishArguments("purchase", "3", {
      target: "cloudflare",
      local: true,
      persistTo: "/tmp/p",
      config: "w.toml",
    }),
  ).toEqual([
    "purchase",
    "3",
    "--target",
    "cloudflare",
    "--local",
    "--persist-to",
    "/tmp/p",
    "--config",
    "w.toml",
  ]);
});

test("ml publish fails with the step's message when the step refuses", () => {
  const run = Bun.spawnSync(
    [
      process.execPath,
      join(root, "ml/cli.ts"),
      "publish",
      "purchase",
      "x",
      "--target",
      "cloudflare",
    ],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: "" },
    },
  );
  const stderr = run.stderr.toString();
  expect(run.exitCode).toBe(2);
  expect(stderr).toContain('version: expected a positive integer, got "x"');
  expect(stderr).toContain("the forecast publish step failed (exit 1)");
});
