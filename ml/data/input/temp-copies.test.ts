import { expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsvLog as read } from "../../testing/log-files.ts";
import { STALE_AFTER_MS } from "./temp-copies.ts";

// This test's reads use a temp folder of their own (TMPDIR), so the copies it leaves and
// removes are never another test file's running in parallel.
const scratch = mkdtempSync(join(tmpdir(), "temp-copies-"));
const privateTmp = join(scratch, "tmp");
mkdirSync(privateTmp);
const joins = () => readdirSync(privateTmp).filter((n) => n.startsWith("pp-join-"));

/** A folder of two exports large enough that joining them takes a moment. */
function exportsFolder(name: string, lines: number): string {
  const dir = join(scratch, name);
  mkdirSync(dir);
  for (const month of [1, 2]) {
    const rows = ["customer_id,date,amount"];
    for (let i = 0; i < lines; i++) {
      rows.push(`c${i % 50_000},2020-0${month}-${10 + (i % 18)},${i % 90}.5`);
    }
    writeFileSync(join(dir, `2020-0${month}.csv`), `${rows.join("\n")}\n`);
  }
  return dir;
}

test("a read killed with SIGKILL mid-join leaves its copy; the next join removes it once a day old", async () => {
  const big = exportsFolder("big", 400_000);
  const script = join(scratch, "read.ts");
  const reader = join(import.meta.dir, "../../testing/log-files.ts");
  writeFileSync(
    script,
    `import { readCsvLog } from ${JSON.stringify(reader)};\nawait readCsvLog(${JSON.stringify(big)});\n`,
  );
  const env = { ...process.env, TMPDIR: privateTmp };
  const child = spawn(process.execPath, [script], { stdio: "ignore", env });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let left: string | undefined;
  for (let waited = 0; left === undefined && waited < 60_000; waited += 10) {
    left = joins()[0];
    if (left === undefined) await Bun.sleep(10);
  }
  child.kill("SIGKILL");
  await exited;
  expect(left).toBeDefined();
  expect(joins()).toEqual([left as string]); // nothing could remove it

  // A day later, the next join removes it; a copy made just now (another read's) is kept.
  const old = (Date.now() - STALE_AFTER_MS - 60_000) / 1000;
  utimesSync(join(privateTmp, left as string), old, old);
  const fresh = mkdtempSync(join(privateTmp, "pp-join-"));
  const small = exportsFolder("small", 3);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = privateTmp;
  try {
    expect((await read(small)).log.length).toBe(6);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  expect(joins()).toEqual([fresh.slice(privateTmp.length + 1)]);
}, 120_000);
