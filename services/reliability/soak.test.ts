// The soak's short form for CI: bench/soak.ts for 5 s per route at 80% of the measured maximum,
// as a real process; zero errors and RSS growth within 10% of after warm-up, per route.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

test("5 s soak per route: zero errors, RSS within 10% of after warm-up", () => {
  const run = spawnSync(
    process.execPath,
    [join(root, "bench/soak.ts"), "--seconds", "5", "--probe-seconds", "2", "--json"],
    { cwd: root, encoding: "utf8", timeout: 150_000 },
  );
  console.log(
    run.stdout
      .split("\n")
      .filter((l) => !l.startsWith("SOAK_ROWS") && !l.startsWith("BENCH_JSON"))
      .join("\n"),
  );
  const line = run.stdout.split("\n").find((l) => l.startsWith("SOAK_ROWS "));
  if (!line)
    throw new Error(
      `bench/soak.ts printed no results (exit ${run.status}): ${run.stderr.slice(-2000)}`,
    );
  const rows = JSON.parse(line.slice("SOAK_ROWS ".length)) as Array<{
    route: string;
    requests: number;
    errors: number;
    rssChangePct: number;
  }>;
  expect(rows.map((r) => r.route)).toEqual(["POST /forecast (20 ids)", "POST /decision"]);
  for (const r of rows) {
    expect(r.requests).toBeGreaterThan(0);
    expect({ route: r.route, errors: r.errors }).toEqual({ route: r.route, errors: 0 });
    expect(r.rssChangePct).toBeLessThanOrEqual(10);
  }
  expect(run.status).toBe(0);
}, 160_000);
