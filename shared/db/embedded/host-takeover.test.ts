// Taking over the embedded store when its host dies. A pool's connections all ask for a socket at
// once: exactly one may start a server (one PGlite per directory, ever; a second one in the same
// process lost acknowledged rows when it closed). A lock naming this process's pid but written by
// a dead predecessor (pid 1 in a restarted container) is taken over, not waited on. (With real
// processes, two decision services on one store and the host killed -9 under keyed load:
// services/reliability/idempotent-outages.test.ts.)
import { afterAll, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedSocket, releaseEmbedded, retainEmbedded } from "./embedded-host.ts";
import { type LockInfo, lockPath, readLock, removeLockOf, tryCreateLock } from "./server-lock.ts";

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-takeover-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A lock as a dead holder left it (kill -9: never removed). */
function staleLock(dir: string, holder: Pick<LockInfo, "pid" | "instance">): void {
  const lock: LockInfo = { ...holder, port: 1, host: "127.0.0.1", startedAt: "", command: "gone" };
  writeFileSync(lockPath(dir), JSON.stringify(lock));
}

/** `count` sockets asked for at once, as a pool reconnecting; the servers they reached. */
async function socketsAtOnce(dir: string, count: number): Promise<number[]> {
  retainEmbedded(dir);
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: count }, () => embeddedSocket(dir)),
  );
  const ports = sockets.map((s) => s.remotePort ?? 0);
  for (const s of sockets) s.destroy();
  return ports;
}

test("a stale lock and eight connections asking at once: one server", async () => {
  const dir = newDir();
  const dead = spawnSync("true").pid; // a pid that has exited
  staleLock(dir, { pid: dead });
  const ports = await socketsAtOnce(dir, 8);
  const lock = readLock(dir);
  await releaseEmbedded(dir);
  expect(new Set(ports).size).toBe(1);
  expect(lock).toMatchObject({ pid: process.pid, port: ports[0] });
  expect(readLock(dir)).toBeNull(); // the last handle closed the server and removed the lock
}, 60_000);

test("a lock with this process's pid from another instance is a predecessor's: taken over", async () => {
  const dir = newDir();
  staleLock(dir, { pid: process.pid, instance: "a-previous-run" });
  const ports = await socketsAtOnce(dir, 3);
  const lock = readLock(dir);
  await releaseEmbedded(dir);
  expect(new Set(ports).size).toBe(1);
  expect(lock?.instance).not.toBe("a-previous-run");
  expect(lock).toMatchObject({ pid: process.pid, port: ports[0] });
}, 60_000);

/** A process that stays alive while the test runs: another process's pid, as a holder. */
function liveProcess() {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  return { pid: child.pid as number, stop: () => child.kill("SIGKILL") };
}

const lockOf = (who: Pick<LockInfo, "pid" | "instance">): LockInfo => ({
  ...who,
  port: 0,
  host: "127.0.0.1",
  startedAt: "",
  command: "test",
});

test("a removal held up between reading a stale lock and unlinking it removes only that lock", () => {
  // Process A and process B both found the dead X's lock. B takes the takeover file, reads X's
  // lock and is held up just before unlinking it; meanwhile A tries to remove X's lock and write
  // its own. Before the takeover file, A could: B then unlinked A's fresh lock, and both hosted.
  const dir = newDir();
  const other = liveProcess();
  try {
    const x = { pid: spawnSync("true").pid, instance: "x" };
    const a = { pid: other.pid, instance: "a" };
    const b = { pid: process.pid, instance: "b" };
    staleLock(dir, x);
    let aMoved: boolean[] = [];
    const removed = removeLockOf(dir, x, b, () => {
      aMoved = [removeLockOf(dir, x, a), tryCreateLock(dir, lockOf(a))];
    });
    expect(removed).toBe(true);
    expect(aMoved).toEqual([false, false]); // A waited: the takeover was B's, X's lock still there
    expect(readLock(dir)).toBeNull();
    // A's next try finds the name free; whoever writes first is the one host.
    expect(tryCreateLock(dir, lockOf(a))).toBe(true);
    expect(removeLockOf(dir, x, b)).toBe(true); // B's late removal of X's lock leaves A's alone
    expect(readLock(dir)).toMatchObject({ pid: a.pid, instance: "a" });
  } finally {
    other.stop();
  }
});

test("a takeover file left by a dead process is cleared; a live one's is waited for", () => {
  const dir = newDir();
  const other = liveProcess();
  try {
    const x = { pid: spawnSync("true").pid, instance: "x" };
    const me = { pid: process.pid, instance: "me" };
    const takeover = `${lockPath(dir)}.takeover`;
    staleLock(dir, x);
    // A live process holds it: wait (false), the stale lock stays.
    writeFileSync(takeover, JSON.stringify({ pid: other.pid, instance: "live" }));
    expect(removeLockOf(dir, x, me)).toBe(false);
    expect(removeLockOf(dir, x, me)).toBe(false);
    expect(readLock(dir)).toMatchObject({ pid: x.pid });
    // Its holder killed while holding it: cleared on the next try, removed on the one after.
    writeFileSync(takeover, JSON.stringify({ pid: spawnSync("true").pid, instance: "gone" }));
    expect(removeLockOf(dir, x, me)).toBe(false);
    expect(removeLockOf(dir, x, me)).toBe(true);
    expect(readLock(dir)).toBeNull();
    // Killed before it wrote a word: an empty file, left alone while new, cleared once old.
    staleLock(dir, x);
    writeFileSync(takeover, "");
    expect(removeLockOf(dir, x, me)).toBe(false);
    expect(removeLockOf(dir, x, me)).toBe(false);
    const old = new Date(Date.now() - 10_000);
    utimesSync(takeover, old, old);
    expect(removeLockOf(dir, x, me)).toBe(false);
    expect(removeLockOf(dir, x, me)).toBe(true);
    expect(readLock(dir)).toBeNull();
    // The directory gone (a test's clean-up before the exit handler runs): nothing to remove.
    rmSync(dir, { recursive: true, force: true });
    expect(removeLockOf(dir, x, me)).toBe(true);
  } finally {
    other.stop();
  }
});

test("a lock its writer never finished (killed before its content) is taken over once it is old", async () => {
  const dir = newDir();
  writeFileSync(lockPath(dir), "");
  const started = performance.now();
  const ports = await socketsAtOnce(dir, 3);
  const waited = performance.now() - started;
  const lock = readLock(dir);
  await releaseEmbedded(dir);
  expect(new Set(ports).size).toBe(1);
  expect(lock).toMatchObject({ pid: process.pid, port: ports[0] });
  // Left alone while young (it may be another process's claim being written), then taken over.
  expect(waited).toBeGreaterThan(1500);
}, 60_000);

test("a host that closes a connection before answering it is looked for again, not handed to the driver", async () => {
  // As a host stops listening, a connection the kernel had accepted is reset; handed to
  // postgres.js, that failed the command's first statement with ECONNRESET.
  const dir = newDir();
  const resetting = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => resetting.listen(0, "127.0.0.1", () => r()));
  const resettingPort = (resetting.address() as AddressInfo).port;
  const holder = spawn("sleep", ["30"]);
  const lock: LockInfo = {
    pid: holder.pid ?? 0,
    instance: "closing-host",
    port: resettingPort,
    host: "127.0.0.1",
    startedAt: "",
    command: "a host closing",
  };
  writeFileSync(lockPath(dir), JSON.stringify(lock));
  try {
    setTimeout(() => holder.kill("SIGKILL"), 400); // the host goes; this process takes over
    const [port] = await socketsAtOnce(dir, 1);
    expect(port).not.toBe(resettingPort);
    expect(readLock(dir)).toMatchObject({ pid: process.pid, port });
  } finally {
    await releaseEmbedded(dir);
    holder.kill("SIGKILL");
    resetting.close();
  }
}, 60_000);
