// kill -9 of the real publisher (cloudflare-local-put.ts, the process `ml publish --local` runs)
// on wrangler's local state, while it publishes a version again without an erased customer: after
// each kill a cold Worker still loads a complete bundle (the old or the new), and one run to the
// end leaves the new one served and no copy of the erased customer in R2. (The same steps stopped
// after each single write, in memory: src/model/publish-bundle.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CUSTOMERS_FILE, encodeBundle } from "../src/model/exported-bundle.ts";
import { trainDemoBundle } from "../src/testing/demo-bundle.ts";
import { localStateInspector } from "../src/testing/local-workers-state.ts";

const scripts = import.meta.dirname;
const config = resolve(scripts, "..", "wrangler.toml");
const scratch = mkdtempSync(join(tmpdir(), "pp-publish-crash-"));
const persist = join(scratch, "state");
let customers = 0;
let erased = "";

/** Writes bundle files into a directory (what publish-model.ts hands the local put). */
function writeBundle(dir: string, files: Map<string, Uint8Array>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
  return dir;
}

const node = (script: string, args: string[]) =>
  Bun.spawn(["node", "--import", "tsx", join(scripts, script), config, persist, ...args], {
    cwd: resolve(scripts, "../../.."),
    stdout: "pipe",
    stderr: "pipe",
  });

/** Runs the publisher to the end. */
async function publish(dir: string): Promise<void> {
  const child = node("cloudflare-local-put.ts", [dir, "purchase", "2"]);
  const [code, err] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (code !== 0) throw new Error(`publish failed (${code}): ${err}`);
}

/**
 * Starts the publisher in its own process group and, once it has reported `steps` steps done,
 * kills the group with SIGKILL: node and the workerd that miniflare started for it, as a crash of
 * the machine or container would. (A SIGKILL to node alone left its workerd running, 70 MB each,
 * five per run of this test, and still able to finish a write after the "crash".)
 */
async function publishKilledAfter(dir: string, steps: number): Promise<string[]> {
  const child = spawn(
    "node",
    [
      "--import",
      "tsx",
      join(scripts, "cloudflare-local-put.ts"),
      config,
      persist,
      dir,
      "purchase",
      "2",
    ],
    { cwd: resolve(scripts, "../../.."), stdio: ["ignore", "pipe", "ignore"], detached: true },
  );
  const exited = new Promise((done) => child.on("close", done));
  const lines: string[] = [];
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    if (lines.length >= steps) return;
    pending += String(chunk);
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
    if (lines.length >= steps) process.kill(-(child.pid as number), "SIGKILL");
  });
  await exited;
  return lines;
}

// One inspector process for the file: a fresh miniflare per inspection, Node and tsx loaded once.
const inspector = localStateInspector(persist);
const inspect = () => inspector.inspect("purchase", erased);

let beforeDir = "";
let afterDir = "";

beforeAll(async () => {
  const demo = await trainDemoBundle({ customers: 200, seed: 4 });
  const raw = { ...demo.raw, identity: { ...demo.raw.identity, version: 2 } };
  const [first, ...rest] = raw.customerRows;
  if (!first) throw new Error("the demo stores no customers");
  erased = first.customerId;
  customers = raw.customerRows.length;
  beforeDir = writeBundle(join(scratch, "before"), await encodeBundle(raw));
  afterDir = writeBundle(
    join(scratch, "after"),
    await encodeBundle({ ...raw, customerRows: rest }),
  );
}, 60_000);

afterAll(async () => {
  await inspector.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("ml publish --local, killed with SIGKILL", () => {
  test("every kill leaves a loadable bundle; one full run leaves only the new one", async () => {
    await publish(beforeDir);
    const first = await inspect();
    expect(first.loaded).toEqual({ version: 2, customers, knows: true });
    const files = first.keys.length;
    // Kill points: after the first upload, mid-upload, after bundle.json (before the flip), after
    // the flip, and mid-delete. Each run starts from the state the previous kill left.
    const killPoints = [1, Math.ceil(files / 2), files, files + 1, files + 6];
    const served: number[] = [];
    for (const steps of killPoints) {
      const lines = await publishKilledAfter(afterDir, steps);
      expect({ steps, seen: lines.length >= steps }).toEqual({ steps, seen: true });
      const state = await inspect();
      // The whole state in the message: a failure here once showed only "loaded: false".
      expect({ steps, loaded: "customers" in state.loaded, state }).toEqual({
        steps,
        loaded: true,
        state,
      });
      if ("customers" in state.loaded) served.push(state.loaded.customers);
      console.log(`killed after ${steps} step(s): serves ${JSON.stringify(state.loaded)}`);
    }
    // Before the flip the old bundle serves, after it the new one: every kill saw one or the other.
    expect(served.every((n) => n === customers || n === customers - 1)).toBe(true);
    expect(served).toContain(customers - 1);

    await publish(afterDir);
    const last = await inspect();
    expect(last.loaded).toEqual({ version: 2, customers: customers - 1, knows: false });
    // One copy of the bundle is left, in the slot the pointer names.
    const slot = (JSON.parse(last.pointer ?? "{}") as { slot?: string }).slot;
    expect(last.keys.length).toBe(files);
    expect(last.keys.every((key) => key.startsWith(`purchase/2/${slot}/`))).toBe(true);
    expect(last.keys.filter((key) => key.endsWith(CUSTOMERS_FILE))).toHaveLength(1);
  }, 240_000);
});
