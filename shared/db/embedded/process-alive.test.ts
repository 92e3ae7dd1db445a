// Whether the embedded store's host is alive decides whether its lock may be taken over, so an
// answer the runtime cannot give must not read as "dead". On Deno without --allow-run,
// `process.kill(pid, 0)` throws NotCapable; it was taken for a dead host: the README's Deno
// forecast command (`deno run --allow-net --allow-env --allow-read --allow-write …`) took over a
// running `npm start`'s store, opening the PGlite directory in a second process, and removed the
// live host's lock when it stopped (README walk-through, 2026-12-03). Now only ESRCH means dead,
// and a refused check is an error naming the flag.
import { afterEach, expect, spyOn, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { processAlive } from "./server-lock.ts";

const spies: { mockRestore(): void }[] = [];
afterEach(() => {
  for (const s of spies.splice(0)) s.mockRestore();
});

function killThrows(error: Error) {
  spies.push(
    spyOn(process, "kill").mockImplementation(() => {
      throw error;
    }),
  );
}

test("ESRCH: dead; EPERM: alive; a live pid: alive", () => {
  expect(processAlive(process.pid)).toBe(true);
  killThrows(Object.assign(new Error("kill ESRCH"), { code: "ESRCH" }));
  expect(processAlive(123_456)).toBe(false);
  killThrows(Object.assign(new Error("kill EPERM"), { code: "EPERM" }));
  expect(processAlive(1)).toBe(true);
});

test("a check the runtime refuses (Deno without --allow-run) is an error, not a dead host", () => {
  const refused = new Error("Requires run access, run again with the --allow-run flag");
  refused.name = "NotCapable";
  killThrows(refused);
  expect(() => processAlive(4242)).toThrow(/4242.*--allow-run/);
});

const DENO = resolve(import.meta.dirname, "../../../node_modules/.bin/deno");

test.skipIf(!existsSync(DENO))("on Deno without --allow-run the live parent is not dead", () => {
  const script = `import { processAlive } from ${JSON.stringify(resolve(import.meta.dirname, "server-lock.ts"))};
try { console.log(processAlive(${process.pid}) ? "alive" : "dead"); } catch (e) { console.log("error: " + e.message); }`;
  const dir = mkdtempSync(join(tmpdir(), "pp-process-alive-"));
  try {
    const file = join(dir, "check.ts");
    writeFileSync(file, script);
    // `deno eval` grants everything; `deno run` with the README's flags does not grant run.
    const run = spawnSync(DENO, ["run", "--no-check", "--allow-read", "--allow-env", file], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stdout.trim()).toMatch(/^error: .*--allow-run/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
