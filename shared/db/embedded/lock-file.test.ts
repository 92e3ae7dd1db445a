// Lock files as server-lock.ts creates them: a lock is never seen empty, so one that is empty or
// cut off was left by a writer killed before its content (an older version, which created it
// and then wrote it) and is taken over once a few seconds old. On Deno too (the decision
// service's Deno entry adopts an old database under such a lock), where checking another pid
// without --allow-run is an error, not a dead holder.
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { holderGone, readLockFile, removeLockFileOf, tryCreateLockFile } from "./server-lock.ts";

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-lock-file-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const me = { pid: process.pid, instance: "me" };

test("one creator; its lock names it; no temporary file is left", () => {
  const dir = newDir();
  const path = join(dir, "job.lock");
  expect(tryCreateLockFile(path, me)).toBe(true);
  expect(tryCreateLockFile(path, { pid: 1 })).toBe(false);
  expect(readLockFile(path)).toEqual(me);
  expect(readdirSync(dir)).toEqual(["job.lock"]);
});

test("an empty or cut-off lock is left alone while young, removed once old", () => {
  for (const content of ["", '{"pid":12']) {
    const path = join(newDir(), "job.lock");
    writeFileSync(path, content);
    expect(readLockFile(path)).toBeNull();
    expect(removeLockFileOf(path, "unreadable", me)).toBe(true);
    expect(existsSync(path)).toBe(true); // young: perhaps being written by an older version
    const old = new Date(Date.now() - 10_000);
    utimesSync(path, old, old);
    expect(removeLockFileOf(path, "unreadable", me)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(tryCreateLockFile(path, me)).toBe(true);
  }
});

test("gone: a dead pid, this pid of another instance; not gone: a live pid, this instance", () => {
  const dead = spawnSync("true").pid;
  expect(holderGone({ pid: dead }, me)).toBe(true);
  expect(holderGone({ pid: process.pid, instance: "previous" }, me)).toBe(true);
  expect(holderGone({ pid: process.pid }, me)).toBe(true);
  expect(holderGone({ pid: process.ppid }, me)).toBe(false);
  expect(holderGone(me, me)).toBe(false);
});

const DENO = resolve(import.meta.dirname, "../../../node_modules/.bin/deno");

test.skipIf(!existsSync(DENO))(
  "on Deno: created once, an old empty lock taken over, a live pid not judged without --allow-run",
  () => {
    const dir = newDir();
    const script = `import { utimesSync, writeFileSync } from "node:fs";
import { holderGone, readLockFile, removeLockFileOf, tryCreateLockFile } from ${JSON.stringify(resolve(import.meta.dirname, "server-lock.ts"))};
const path = ${JSON.stringify(join(dir, "job.lock"))};
const me = { pid: Deno.pid, instance: "deno" };
writeFileSync(path, "");
const old = new Date(Date.now() - 10_000);
utimesSync(path, old, old);
const out = [tryCreateLockFile(path, me), removeLockFileOf(path, "unreadable", me)];
out.push(tryCreateLockFile(path, me), tryCreateLockFile(path, me), readLockFile(path)?.instance);
try { out.push(holderGone({ pid: ${process.pid} }, me)); } catch (e) { out.push("error: " + e.message); }
console.log(JSON.stringify(out));`;
    const file = join(dir, "check.ts");
    writeFileSync(file, script);
    const run = spawnSync(DENO, ["run", "--no-check", "--allow-read", "--allow-write", file], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout);
    expect(out.slice(0, 5)).toEqual([false, true, true, false, "deno"]);
    expect(out[5]).toMatch(/^error: .*--allow-run/);
  },
);
