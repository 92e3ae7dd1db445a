// Finds the embedded database server of a data directory, or becomes it. Every process that opens
// the embedded default (services, ml CLI, keys CLI, tests) asks here for a socket: when the lock
// file names a live server it connects there; when there is none (or its holder died, even by
// kill -9) this process opens PGlite, applies the migrations, serves it on a loopback port and
// writes its pid and port into the lock. A client whose host went away finds or becomes the next
// host on its next connection, so no PGlite directory is ever open in two processes, nor twice
// in one.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join, resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { openMigratedStore } from "./new-store.ts";
import {
  type LockInfo,
  lockPath,
  processAlive,
  readLock,
  removeLockOf,
  tryCreateLock,
  updateLock,
} from "./server-lock.ts";
import { checkStoreVersion } from "./store-version.ts";
import { SECRET_REQUEST } from "./wire-connection.ts";
import { serveOverWire, type WireServer } from "./wire-server.ts";

const HOST = "127.0.0.1";
/**
 * How long a host that is done waits for other processes' queries and transactions under way
 * before it closes (wire-server.ts drain): idle connections close themselves (EMBEDDED_CLIENT_IDLE_S).
 */
const RELEASE_DRAIN_MS = 5_000;
/** Opening (and on first use creating) a PGlite database takes seconds on a busy machine. */
const LOCATE_DEADLINE_MS = 120_000;

interface Hosted {
  pg: PGlite;
  server: WireServer;
  /** What a connection must send first (wire-connection.ts SECRET_REQUEST); in the lock too. */
  secret: string;
}

interface Entry {
  refs: number;
  hosting: Promise<Hosted> | null;
  /** Set while one connection of this process takes the lock, so the others wait for it. */
  claiming: Promise<void> | null;
}

/** This process's mark in its lock (see LockInfo.instance). */
const INSTANCE = crypto.randomUUID();
const ME = { pid: process.pid, instance: INSTANCE };

/** Whether `lock` is this process's own (a server of ours, opening, serving or closing). */
const isOurs = (lock: LockInfo | null) => lock?.pid === ME.pid && lock.instance === ME.instance;

const entries = new Map<string, Entry>();

class EmbeddedServerError extends Error {
  override readonly name = "EmbeddedServerError";
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Blocks this thread for `ms` (an exit handler cannot wait asynchronously). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Removes this process's own lock (on exit: synchronously), waiting while another process holds
 * the takeover file (microseconds, unless that process is stopped: then give up after a second
 * and leave the lock, which the next process takes over as stale).
 */
function removeOwnLock(dataDir: string): void {
  try {
    for (let i = 0; i < 200 && !removeLockOf(dataDir, ME, ME); i++) sleepSync(5);
  } catch {
    // a directory that cannot be written: the lock stays, and is taken over as stale
  }
}

/** A connection the server closed before answering the handshake: nothing was sent, try again. */
class HandshakeLost extends Error {}

/** SSLRequest: the server answers it with one byte ('N') before any startup (wire-connection.ts). */
const SSL_REQUEST = Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f);
/** Bounds a host too busy to answer (PGlite runs on its event loop); then the lock is read again. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * A socket to the server on `port`, handed over only once the server's process has answered an
 * SSLRequest, so it is serving this connection. A connection the kernel accepted as the host
 * stopped listening is reset (ECONNRESET), and postgres.js reported that as a lost connection
 * under the command's first statement (2 of 80 `ml models` four at a time on a new store); here
 * it is a HandshakeLost before anything was sent, and the caller looks for the host again.
 */
async function connectSocket(port: number, secret: string | undefined): Promise<Socket> {
  const socket = await handshake(await openSocket(port), SSL_REQUEST);
  // A lock written before hosts had secrets names none: that host asks for none.
  return secret === undefined ? socket : handshake(socket, secretRequest(secret));
}

/** The request that hands the server its secret before the startup message. */
function secretRequest(secret: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  const out = new Uint8Array(8 + bytes.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, out.length);
  view.setInt32(4, SECRET_REQUEST);
  out.set(bytes, 8);
  return out;
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.removeListener("error", reject);
      resolvePromise(socket);
    });
    socket.once("error", reject);
  });
}

/** `socket` once the server answered `request` with 'N'; a HandshakeLost when it did not. */
function handshake(socket: Socket, request: Uint8Array): Promise<Socket> {
  return new Promise<Socket>((resolvePromise, reject) => {
    const lost = (reason: string) => {
      settle();
      socket.destroy();
      reject(new HandshakeLost(reason));
    };
    const onError = (error: Error) => lost(error.message);
    const onClose = () => lost("closed");
    const timer = setTimeout(() => lost("no answer"), HANDSHAKE_TIMEOUT_MS);
    const settle = () => {
      clearTimeout(timer);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
      socket.removeListener("data", onData);
    };
    const onData = (data: Buffer) => {
      settle();
      if (data.length === 1 && data[0] === 0x4e) resolvePromise(socket);
      else lost(`unexpected answer to the handshake (${data.length} bytes)`);
    };
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.on("data", onData);
    socket.write(request);
  });
}

async function startHosting(dataDir: string, lock: LockInfo): Promise<Hosted> {
  let pg: PGlite | null = null;
  try {
    const dir = join(dataDir, "pglite");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    pg = await openMigratedStore(dir);
    ownersOnly(dir);
    const secret = randomBytes(32).toString("base64url");
    const server = await serveOverWire(pg, { host: HOST, secret });
    updateLock(dataDir, { ...lock, port: server.port, secret });
    process.once("exit", () => removeOwnLock(dataDir));
    return { pg, server, secret };
  } catch (error) {
    await pg?.close().catch(() => {});
    removeOwnLock(dataDir);
    throw error;
  }
}

/**
 * The database's directory, its OS user's alone (0700), as the lock is: it holds API key hashes,
 * decisions and customers' features, and was 0755 (any local user could copy the files). A store
 * made before is tightened when it is next opened; a new one from the template copy is a folder
 * PGlite made (0755), renamed into place.
 */
function ownersOnly(dir: string): void {
  chmodSync(dir, 0o700);
}

/** Takes the free lock and starts hosting (the entry's `hosting`), unless another process won. */
async function claimLock(dataDir: string, entry: Entry): Promise<void> {
  const mine: LockInfo = {
    ...ME,
    port: 0,
    host: HOST,
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(" "),
  };
  mkdirSync(dataDir, { recursive: true });
  if (!tryCreateLock(dataDir, mine)) {
    await sleep(10); // another process's claim, this moment
    return;
  }
  // Two processes that found the same stale lock at once could each remove it and create their
  // own; the later one wins the file. Whoever no longer finds itself named stands back.
  await sleep(50);
  if (!isOurs(readLock(dataDir))) return;
  entry.hosting = startHosting(dataDir, mine);
  entry.hosting.catch(() => {
    entry.hosting = null;
  });
}

/**
 * A connected socket to the embedded server of `dataDir`, hosting it in this process when no
 * live server holds the lock. Bounded: gives up after two minutes naming the lock's holder.
 */
export async function embeddedSocket(dataDirInput: string): Promise<Socket> {
  const dataDir = resolve(dataDirInput);
  const entry = entries.get(dataDir);
  if (!entry) throw new EmbeddedServerError(`embedded database ${dataDir} is not open here`);
  const deadline = Date.now() + LOCATE_DEADLINE_MS;
  let refused = 0;
  while (Date.now() < deadline) {
    if (entry.hosting) {
      try {
        const hosted = await entry.hosting;
        return await connectSocket(hosted.server.port, hosted.secret);
      } catch (error) {
        if (!(error instanceof HandshakeLost)) throw error;
        await sleep(50); // our own server is closing: the next turn of the loop finds it gone
        continue;
      }
    }
    if (entry.claiming) {
      // A pool reconnects all its connections at once when the host dies: one takes the lock,
      // the others wait for it. (Each taking it in turn opened one PGlite per connection on the
      // same directory, and rows acknowledged by one were lost when another closed.)
      await entry.claiming;
      continue;
    }
    const lock = readLock(dataDir);
    if (isOurs(lock)) {
      await sleep(50); // a server of ours is still closing (releaseEmbedded); its lock goes last
      continue;
    }
    if (lock && lock.pid !== process.pid && processAlive(lock.pid)) {
      if (lock.port === 0) {
        await sleep(100); // the holder is still opening the database
        continue;
      }
      try {
        return await connectSocket(lock.port, lock.secret);
      } catch (error) {
        if (error instanceof HandshakeLost) {
          await sleep(50); // the host stopped serving as we connected: its lock says so next
          continue;
        }
        if (++refused < 3) {
          await sleep(100);
          continue;
        }
        // alive pid but no server: a reused pid
        if (!removeLockOf(dataDir, lock, ME)) await sleep(10);
        continue;
      }
    }
    if (lock) {
      // its holder is gone (kill -9, crash)
      if (!removeLockOf(dataDir, lock, ME)) await sleep(10);
      continue;
    }
    // No lock to read, yet one may stand there: a writer killed before its content (or a
    // claim in another process this very moment, which is left alone while it is young).
    if (existsSync(lockPath(dataDir)) && !removeLockOf(dataDir, "unreadable", ME)) {
      await sleep(10);
      continue;
    }
    // Files of another PostgreSQL major: one line now (a failed start would only be tried again).
    checkStoreVersion(join(dataDir, "pglite"));
    entry.claiming = claimLock(dataDir, entry).finally(() => {
      entry.claiming = null;
    });
  }
  const holder = readLock(dataDir);
  throw new EmbeddedServerError(
    `no embedded database server answered for ${dataDir} within ${LOCATE_DEADLINE_MS / 1000} s` +
      (holder
        ? `: ${lockPath(dataDir)} names pid ${holder.pid} (${holder.command}) on port ${holder.port}; ` +
          "stop that process, or remove the lock file if it is not running"
        : ""),
  );
}

/** Registers a handle on `dataDir` in this process (the host, if any, lives while handles do). */
export function retainEmbedded(dataDir: string): void {
  const key = resolve(dataDir);
  const entry = entries.get(key) ?? { refs: 0, hosting: null, claiming: null };
  entry.refs++;
  entries.set(key, entry);
}

/** Releases a handle; the last one stops this process's server and removes its lock. */
export async function releaseEmbedded(dataDir: string): Promise<void> {
  const key = resolve(dataDir);
  const entry = entries.get(key);
  if (!entry || --entry.refs > 0) return;
  entries.delete(key);
  await entry.claiming?.catch(() => {}); // a claim under way may still start a server: close it too
  const hosted = await entry.hosting?.catch(() => null);
  if (!hosted) return;
  // Port 0 ("not serving"): a process connecting meanwhile waits for the lock to go, then hosts.
  // Left naming the port, a refused connection read as a reused pid and was taken over while
  // this PGlite was still open.
  const lock = readLock(key);
  if (isOurs(lock) && lock) updateLock(key, { ...lock, port: 0 });
  await hosted.server.close(RELEASE_DRAIN_MS);
  await hosted.pg.close();
  removeOwnLock(key);
}
