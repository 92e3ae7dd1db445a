// Taking over the embedded store when its host dies. A pool's connections all ask for a socket at
// once: exactly one may start a server (one PGlite per directory, ever; a second one in the same
// process lost acknowledged rows when it closed). A lock naming this process's pid but written by
// a dead predecessor (pid 1 in a restarted container) is taken over, not waited on. (With real
// processes, two decision services on one store and the host killed -9 under keyed load:
// services/reliability/idempotent-outages.test.ts.)
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedSocket, releaseEmbedded, retainEmbedded } from "./embedded-host.ts";
import { type LockInfo, lockPath, readLock } from "./server-lock.ts";

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
