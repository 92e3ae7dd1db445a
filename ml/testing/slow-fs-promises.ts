// Test support: node:fs/promises with writes into PP_SLOW_WRITE_DIR slowed down (slow-writes-preload.ts
// puts it in place of node:fs/promises), so a test can kill -9 a process while it writes a file.
// Each 64 KiB piece (each write of a stream) waits PP_SLOW_WRITE_MS first: a file being written shows up empty or partial.

import type { FileHandle } from "node:fs/promises";
import * as fs from "node:fs/promises";
import { resolve } from "node:path";

export * from "node:fs/promises";
export default fs;

const PIECE = 64 * 1024;
const slowDir = process.env.PP_SLOW_WRITE_DIR ? resolve(process.env.PP_SLOW_WRITE_DIR) : null;
const delayMs = Number(process.env.PP_SLOW_WRITE_MS ?? "0");

const slowed = (path: unknown): boolean =>
  slowDir !== null && typeof path === "string" && resolve(path).startsWith(`${slowDir}/`);

/** `handle.writeFile(data)` as pieces, each after a pause (`write`: the handle's own). */
async function writeSlowly(write: FileHandle["write"], data: unknown): Promise<void> {
  const bytes =
    typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data as Uint8Array);
  for (let at = 0; at < bytes.byteLength || at === 0; at += PIECE) {
    await Bun.sleep(delayMs);
    await write(bytes.subarray(at, at + PIECE));
    if (bytes.byteLength === 0) break;
  }
}

export async function open(...args: Parameters<typeof fs.open>): Promise<FileHandle> {
  const handle = await fs.open(...args);
  if (slowed(args[0])) {
    const write = handle.write.bind(handle) as FileHandle["write"];
    const slow = handle as { write: unknown; writeFile: unknown };
    slow.writeFile = (data: unknown) => writeSlowly(write, data);
    // A streamed write (ml simulate's pieces of 1 MB) waits before each piece too.
    slow.write = async (...a: Parameters<FileHandle["write"]>) => {
      await Bun.sleep(delayMs);
      return (write as (...b: typeof a) => ReturnType<FileHandle["write"]>)(...a);
    };
  }
  return handle;
}

export async function writeFile(...args: Parameters<typeof fs.writeFile>): Promise<void> {
  const [path, data] = args;
  if (!slowed(path)) return fs.writeFile(...args);
  const handle = await open(path as string, "w");
  try {
    await handle.writeFile(data as string);
  } finally {
    await handle.close();
  }
}
