// Test support for suites that drive the `ml` CLI in-process: a run with console output captured
// (not printed), and the process's DATA_DIR / DATABASE_URL saved and put back around a suite.
import { spyOn } from "bun:test";
import { runCli } from "../cli.ts";

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `ml <args>` in this process; what it logs and what it reports as errors come back as text. */
export async function runCliCaptured(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const log = spyOn(console, "log").mockImplementation((...a: unknown[]) => {
    out.push(a.join(" "));
  });
  const error = spyOn(console, "error").mockImplementation((...a: unknown[]) => {
    err.push(a.join(" "));
  });
  try {
    return { code: await runCli(args), out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** Saves DATA_DIR and DATABASE_URL (which the CLI reads); the returned function restores them. */
export function saveDatabaseEnv(): () => void {
  const saved = { DATA_DIR: process.env.DATA_DIR, DATABASE_URL: process.env.DATABASE_URL };
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
