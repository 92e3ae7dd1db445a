// `ml` pointed at an address where no PostgreSQL listens (a wrong port, a server not started):
// one line that says nothing answered there and what to check. It said "lost the connection …
// the database rolls back a transaction it had open", of a connection that never opened.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";

const root = join(import.meta.dirname, "..", "..");

test("ml models on a port where nothing listens: exit 1, 'could not connect', host and port to check", async () => {
  const port = await freePort(); // free: nothing listens there
  const dir = mkdtempSync(join(tmpdir(), "pp-unreachable-"));
  try {
    const url = `postgres://postgres@127.0.0.1:${port}/purchase`;
    const run = Bun.spawnSync([process.execPath, "ml/cli.ts", "models"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, DATA_DIR: dir, ML_DATABASE_TIMEOUT_SECONDS: "5" },
    });
    const lines = run.stderr.toString().trim().split("\n");
    expect(run.exitCode).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith(
      `error: could not connect to the database at DATABASE_URL=${url} (ECONNREFUSED`,
    );
    expect(lines[0]).toContain(`nothing accepts connections at 127.0.0.1:${port}`);
    expect(lines[0]).toContain("check the URL's host and port");
    expect(lines[0]).not.toContain("lost the connection");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
