// The README's per-runtime commands run through npx (`npx bun …/entry/bun.ts`, `npx deno run …
// /entry/deno.ts`) stop when npx gets a SIGTERM, as `npm run start:*` do: npx runs the command
// through a shell (and deno through a Node wrapper) that ends without passing the signal on, and
// the service kept serving its port, orphaned (a process manager's restart then hit EADDRINUSE).
import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "@pp/shared/testing/free-port.ts";
import { waitForHttp } from "@pp/shared/testing/processes.ts";

const root = resolve(import.meta.dirname, "..");

/** Pids of the processes started with PORT=`port` (this test's services, orphaned or not). */
function pidsOnPort(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`PORT=${port}`) && env.includes("PP_NPX_STOP_TEST=1")) pids.push(+entry);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function stopsWithNpx(args: string[]): Promise<boolean> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "pp-npx-stop-"));
  const npx = spawn("npx", args, {
    cwd: root,
    env: {
      ...process.env,
      PATH: `/usr/local/bin:/usr/bin:/bin`,
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: "",
      LOG_LEVEL: "warn",
      PP_NPX_STOP_TEST: "1",
    },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}/health`;
  try {
    await waitForHttp(url, (s) => s === 200, args.join(" "), 60_000);
    npx.kill("SIGTERM");
    const deadline = Date.now() + 15_000;
    let up = true;
    while (Date.now() < deadline && up) {
      await new Promise((r) => setTimeout(r, 250));
      up = await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      );
    }
    return !up;
  } finally {
    npx.kill("SIGKILL");
    for (const pid of pidsOnPort(port)) process.kill(pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test("`npx bun services/forecast/src/entry/bun.ts` stops when npx is stopped", async () => {
  expect(await stopsWithNpx(["bun", "services/forecast/src/entry/bun.ts"])).toBe(true);
}, 90_000);

test("`npx deno run … services/forecast/src/entry/deno.ts` stops when npx is stopped", async () => {
  const allow = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-run"];
  expect(await stopsWithNpx(["deno", "run", ...allow, "services/forecast/src/entry/deno.ts"])).toBe(
    true,
  );
}, 90_000);

test("`npx deno run … services/decision/src/entry/deno.ts` stops when npx is stopped", async () => {
  const allow = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-run"];
  const args = ["deno", "run", ...allow, "--allow-sys", "services/decision/src/entry/deno.ts"];
  expect(await stopsWithNpx(args)).toBe(true);
}, 90_000);
