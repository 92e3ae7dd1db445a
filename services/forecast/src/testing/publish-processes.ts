// Test support: `ml publish … --local` run as an operator runs it, for the tests of publishing to
// wrangler's local state: a one-shot command line, and a `--follow` process whose output lines can
// be waited for and which can be crashed as a whole (ml, the publish step and its children).
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../../../..");

export interface PublishProcesses {
  /** Starts `--follow --interval 1`. */
  startFollower(): Follower;
  /** Starts the one-shot command (no `--follow`): its lines can be waited for as a follower's. */
  startOneShot(): Follower;
  /** SIGKILL to every follower started that is still running (for afterAll). */
  crashAll(): void;
}

export interface Follower {
  lines: string[];
  /** SIGKILL to every process of the follower (ml, the publish step, a local put under way). */
  crash(): void;
  /** Resolves to the index of the first line from `from` on matching `pattern`. */
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<number>;
  exited: Promise<number | null>;
  child: ChildProcess;
}

export function publishProcesses(
  persistDir: string,
  registryEnv: () => Record<string, string | undefined>,
): PublishProcesses {
  const started: Follower[] = [];
  // `bun ml/cli.ts publish purchase --target cloudflare --local --persist-to … <extra>`.
  const command = (...extra: string[]) => [
    process.execPath,
    join(root, "ml/cli.ts"),
    "publish",
    "purchase",
    "--target",
    "cloudflare",
    "--local",
    "--persist-to",
    persistDir,
    ...extra,
  ];
  const env = () => ({
    ...process.env,
    ...registryEnv(),
    NO_COLOR: "1",
    // A follower killed mid-publish holds its lease this long.
    PP_PUBLISH_LEASE_SECONDS: "3",
  });
  return {
    startFollower() {
      return start(command("--follow", "--interval", "1"));
    },
    startOneShot() {
      return start(command());
    },
    crashAll() {
      for (const f of started) {
        try {
          f.crash();
        } catch {
          // already gone
        }
      }
    },
  };

  function start([bun, ...args]: string[]): Follower {
    const child = spawn(bun as string, args, {
      cwd: root,
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: a crash kills ml, the step and its children
    });
    const follower = followerOf(child);
    started.push(follower);
    return follower;
  }
}

function followerOf(child: ChildProcess): Follower {
  const lines: string[] = [];
  let pending = "";
  const take = (chunk: Buffer) => {
    pending += String(chunk);
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  // Its output is all in once its pipes close ("exit" can come before the last lines).
  let closed = false;
  child.on("close", () => {
    closed = true;
  });
  return {
    lines,
    child,
    exited: new Promise<number | null>((done) => child.on("exit", (code) => done(code))),
    crash: () => process.kill(-(child.pid as number), "SIGKILL"),
    async waitFor(pattern, from = 0, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const at = lines.findIndex((line, i) => i >= from && pattern.test(line));
        if (at >= 0) return at;
        if (closed) break;
        await Bun.sleep(100);
      }
      throw new Error(`no line matching ${pattern} after line ${from}:\n${lines.join("\n")}`);
    },
  };
}
