// Test support: what a cold forecast Worker would load from wrangler's local state, read by a Node
// process (miniflare needs Node), for the tests that publish there and kill the publisher: either
// the operator's command (scripts/cloudflare-local-state.ts inspect), one process per call, or one
// long-lived inspector per test file (local-state-inspector.ts) that opens a fresh miniflare for
// each inspection but loads Node, tsx and the modules only once.
import { join, resolve } from "node:path";
import type { LocalStateInspection } from "../../scripts/local-state-inspect.ts";

export type { LocalStateInspection };

const scripts = resolve(import.meta.dirname, "../../scripts");
const root = resolve(import.meta.dirname, "../../../..");
const config = join(scripts, "..", "wrangler.toml");
const REPLY = "inspection: "; // local-state-inspector.ts's (not imported: it runs when imported)

/** The pointer of `model`, what it loads (and whether it knows `customer`) and every R2 key. */
export async function inspectLocalState(
  persistDir: string,
  model: string,
  customer?: string,
): Promise<LocalStateInspection> {
  const args = ["inspect", model, ...(customer ? [customer] : [])];
  const script = join(scripts, "cloudflare-local-state.ts");
  const child = Bun.spawn(["node", "--import", "tsx", script, config, persistDir, ...args], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`inspect failed (${code}): ${err}`);
  return JSON.parse(out.trim().split("\n").at(-1) ?? "") as LocalStateInspection;
}

export interface LocalStateInspector {
  /** As inspectLocalState; calls are answered one at a time, in order. */
  inspect(model: string, customer?: string): Promise<LocalStateInspection>;
  /** Ends the inspector process (for afterAll). */
  close(): Promise<void>;
}

/** One inspector process on `persistDir`, started at its first inspection. */
export function localStateInspector(persistDir: string): LocalStateInspector {
  let child: ReturnType<typeof spawnInspector> | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const ask = async (model: string, customer?: string) => {
    child ??= spawnInspector(persistDir);
    child.stdin.write(`${JSON.stringify({ model, customer })}\n`);
    child.stdin.flush();
    const line = await child.nextReply();
    const reply = JSON.parse(line) as { inspection: LocalStateInspection } | { error: string };
    if ("error" in reply) throw new Error(`inspect failed: ${reply.error}`);
    return reply.inspection;
  };
  return {
    inspect(model, customer) {
      const answer = queue.then(() => ask(model, customer));
      queue = answer.catch(() => {});
      return answer;
    },
    async close() {
      if (!child) return;
      child.process.kill();
      await child.process.exited;
    },
  };
}

function spawnInspector(persistDir: string) {
  const script = join(import.meta.dirname, "local-state-inspector.ts");
  const child = Bun.spawn(["node", "--import", "tsx", script, config, persistDir], {
    cwd: root,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const nextReply = async (): Promise<string> => {
    for (;;) {
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      const at = lines.findIndex((l) => l.startsWith(REPLY));
      if (at >= 0) {
        pending = [...lines.slice(at + 1), pending].join("\n");
        return (lines[at] as string).slice(REPLY.length);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`the inspector exited (${await child.exited}): ${await stderr}`);
      pending += value;
    }
  };
  return { process: child, stdin: child.stdin, nextReply };
}
