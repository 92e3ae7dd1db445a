// Real child processes for store and topology tests: start a Bun script with an environment, keep
// its output, wait for an HTTP answer, stop it with a signal (bounded). Test support (Node APIs).
import { type ChildProcess, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
  exited(): boolean;
}

/**
 * Collects what `stream` writes into `output`, whole lines (a chunk can end mid-line; the last
 * line is kept when the stream ends). Past `cap` lines the per-request lines are dropped, never
 * the others: under load a service's request lines pushed the "decision log pruned" line a test
 * counts past a plain cap.
 */
export function keepLines(stream: Readable | null, output: string[], cap: number): void {
  let partial = "";
  const keep = (line: string) => {
    if (!line) return;
    if (output.length >= cap && line.includes('"msg":"request"')) return;
    output.push(line);
  };
  stream?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) keep(line);
  });
  stream?.on("end", () => keep(partial));
}

/** Starts `bun <script> ...args` with `env` added to this process's environment. */
export function startBun(
  name: string,
  script: string,
  env: Record<string, string>,
  { cwd, args = [] }: { cwd?: string; args?: string[] } = {},
): Proc {
  const child = spawn(process.execPath, [script, ...args], {
    ...(cwd ? { cwd } : {}),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  keepLines(child.stdout, output, 5000);
  keepLines(child.stderr, output, 5000);
  return {
    name,
    child,
    output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

/**
 * Runs `bun <script> ...args` to completion (bounded by `timeoutMs`, then SIGKILL). Asynchronous:
 * the calling process may be the one hosting the embedded database the child connects to.
 */
export function runBun(
  script: string,
  args: string[],
  env: Record<string, string>,
  { cwd, timeoutMs = 120_000 }: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [script, ...args], {
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
    });
    child.stderr?.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}

/** The process's exit code once it has exited (null when a signal ended it). */
export function exitCodeOf(proc: Proc): Promise<number | null> {
  return new Promise((r) =>
    proc.exited() ? r(proc.child.exitCode) : proc.child.once("exit", (code) => r(code)),
  );
}

/** Sends `signal` and waits (at most `ms`) for the exit; SIGKILL after that. */
export async function stopProc(proc: Proc, signal: NodeJS.Signals = "SIGTERM", ms = 10_000) {
  if (proc.exited()) return;
  const exited = new Promise<void>((r) => proc.child.once("exit", () => r()));
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), ms);
  await exited;
  clearTimeout(timer);
}

/** Polls `url` until `ok(status, body)` holds; throws with the last answer after `ms`. */
export async function waitForHttp(
  url: string,
  ok: (status: number, body: string) => boolean,
  what: string,
  ms = 120_000,
  init?: RequestInit,
): Promise<string> {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, init);
      const body = await res.text();
      last = `${res.status} ${body.slice(0, 300)}`;
      if (ok(res.status, body)) return body;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: no good answer from ${url} within ${ms} ms; last: ${last}`);
}
