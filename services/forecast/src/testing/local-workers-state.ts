// Test support: what a cold forecast Worker would load from wrangler's local state, read by a Node
// process (scripts/cloudflare-local-state.ts inspect; miniflare needs Node), for the tests that
// publish there and kill the publisher.
import { join, resolve } from "node:path";

const scripts = resolve(import.meta.dirname, "../../scripts");
const root = resolve(import.meta.dirname, "../../../..");

export interface LocalStateInspection {
  pointer: string | null;
  loaded: { version: number; customers: number; knows?: boolean } | { error: string };
  keys: string[];
}

/** The pointer of `model`, what it loads (and whether it knows `customer`) and every R2 key. */
export async function inspectLocalState(
  persistDir: string,
  model: string,
  customer?: string,
): Promise<LocalStateInspection> {
  const config = join(scripts, "..", "wrangler.toml");
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
