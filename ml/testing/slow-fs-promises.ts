// Test support: node:fs/promises with writes into PP_SLOW_WRITE_DIR slowed down (slow-writes-preload.ts
// puts it in place of node:fs/promises), so a test can kill -9 a process while it writes a file.
// Each 64 KiB piece waits PP_SLOW_WRITE_MS first: a file being written shows up empty or partial.

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

/** `handle.writeFile(data)` as pieces, each after a pause. */
async function writeSlowly(handle: FileHandle, data: unknown): Promise<void> {
  const bytes =
    typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data as Uint8Array);
  for (let at = 0; at < bytes.byteLength || at === 0; at += PIECE) {
    await Bun.sleep(delayMs);
    await handle.write(bytes.subarray(at, at + PIECE));
    if (bytes.byteLength === 0) break;
  }
}

export async function open(...args: Parameters<typeof fs.open>): Promise<FileHandle> {
  const handle = await fs.open(...args);
  if (slowed(args[0])) {
    (handle as { writeFile: unknown }).writeFile = (data: unknown) => writeSlowly(handle, data);
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
