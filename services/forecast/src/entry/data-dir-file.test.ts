// The forecast service (registry source) with DATA_DIR naming a regular file: the embedded store
// can never open there, so the service stops at once with one line naming the variable and what
// to pass. It stayed up, logged "model load failed; not ready … EEXIST: file already exists,
// mkdir …" and answered /ready 503 for as long as it ran.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { runBun } from "@pp/shared/testing/processes.ts";

const work = mkdtempSync(join(tmpdir(), "pp-data-dir-file-"));
const file = join(work, "notes.txt");
writeFileSync(file, "not a directory\n");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const start = async (env: Record<string, string>) =>
  runBun(
    resolve(import.meta.dirname, "bun.ts"),
    [],
    {
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      MODEL_SOURCE: "registry",
      MODEL_POLL_INTERVAL_MS: "0",
      DATABASE_URL: "",
      DATA_DIR: "",
      ...env,
    },
    { timeoutMs: 20_000 },
  );

test("DATA_DIR naming a file, or a path through one, stops the start with a line naming it", async () => {
  for (const env of [{ DATA_DIR: file }, { DATA_DIR: join(file, "store") }]) {
    const run = await start(env);
    expect({ env, status: run.status }).toEqual({ env, status: 1 });
    expect(run.stderr).toContain("DATA_DIR: ");
    expect(run.stderr).toContain("not a directory");
    expect(run.stderr).toContain("DATABASE_URL");
  }
}, 90_000);
