// `start:decision` with DATA_DIR (or DECISION_DATA_DIR) naming a regular file: the embedded store
// can never open there, so the service stops at once with one line naming the variable and what
// to pass. It stayed up, logged "EEXIST: file already exists, mkdir …" and answered /ready 503
// for as long as it ran.
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
      FORECAST_URL: "http://127.0.0.1:9",
      API_KEYS: "data-dir-file-key-0123",
      DATABASE_URL: "",
      DATA_DIR: "",
      DECISION_DATA_DIR: "",
      ...env,
    },
    { timeoutMs: 20_000 },
  );

test("DATA_DIR naming a file stops the start with a line naming it; so does DECISION_DATA_DIR", async () => {
  for (const [variable, env] of [
    ["DATA_DIR", { DATA_DIR: file }],
    ["DECISION_DATA_DIR", { DATA_DIR: work, DECISION_DATA_DIR: file }],
    ["DATA_DIR", { DATA_DIR: join(file, "store") }],
    // A blank DECISION_DATA_DIR is unset, as everywhere else (it opened a store named "  ").
    ["DATA_DIR", { DATA_DIR: file, DECISION_DATA_DIR: "  " }],
  ] as const) {
    const run = await start(env);
    expect({ variable, status: run.status }).toEqual({ variable, status: 1 });
    expect(run.stderr).toContain(`${variable}: `);
    expect(run.stderr).toContain("not a directory");
    expect(run.stderr).toContain("DATABASE_URL");
  }
}, 90_000);
