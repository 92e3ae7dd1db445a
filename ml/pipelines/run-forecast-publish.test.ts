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
      follow: true,
      interval: "5",
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
    "--follow",
    "--interval",
    "5",
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
  expect(stderr).toContain(
    'version: expected a version number from 1 to 2147483647 such as 3 or v3, got "x"',
  );
  expect(stderr).toContain("the forecast publish step failed (exit 1)");
});

test("ml publish --follow refuses a version, --erased and an interval out of range", () => {
  const cases: Array<[string[], string]> = [
    [
      ["3", "--follow"],
      "--follow: publishes the production version; pass no version and no --erased",
    ],
    [["--follow", "--erased", "2"], "--follow: publishes the production version"],
    [
      ["--follow", "--interval", "0"],
      '--interval: expected seconds between 0.1 and 86400, got "0"',
    ],
    [
      ["--follow", "--interval", "1e308"],
      '--interval: expected seconds between 0.1 and 86400, got "1e308"',
    ],
    [
      ["--follow", "--interval", "soon"],
      '--interval: expected seconds between 0.1 and 86400, got "soon"',
    ],
    // An empty list was a plain publish of production.
    [["--erased", ""], 'expected version numbers separated by commas, e.g. 2,3 (got "")'],
    [["--erased", "2,x"], 'expected version numbers separated by commas, e.g. 2,3 (got "2,x")'],
  ];
  for (const [args, message] of cases) {
    const run = Bun.spawnSync(
      [
        process.execPath,
        join(root, "ml/cli.ts"),
        "publish",
        "purchase",
        ...args,
        "--target",
        "cloudflare",
      ],
      { cwd: root, env: { ...process.env, DATABASE_URL: "" } },
    );
    expect({ args, code: run.exitCode, stderr: run.stderr.toString() }).toEqual({
      args,
      code: 2,
      stderr: expect.stringContaining(message),
    });
  }
});

test("ml publish refuses a publish lease term out of range", () => {
  const run = Bun.spawnSync(
    [process.execPath, join(root, "ml/cli.ts"), "publish", "purchase", "--target", "cloudflare"],
    { cwd: root, env: { ...process.env, DATABASE_URL: "", PP_PUBLISH_LEASE_SECONDS: "1e308" } },
  );
  expect(run.exitCode).toBe(2);
  expect(run.stderr.toString()).toContain(
    'PP_PUBLISH_LEASE_SECONDS: expected seconds between 1 and 3600, got "1e308"',
  );
});
