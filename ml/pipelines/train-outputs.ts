// `ml train --out`'s files and their completion marker: each file is written atomically
// (atomic-file.ts), and train-outputs.json, written last, lists the run's files with their sha256.
// A run killed halfway leaves no marker, so a folder mixing its files with an earlier run's says so.

import { mkdir, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { removeStaleTemporaries, writeFileAtomic } from "@pp/shared/artifacts/atomic-file.ts";
import { sha256Hex } from "@pp/shared/artifacts/sha256.ts";
import { claimLockFile, releaseLockFile } from "@pp/shared/db/embedded/lock-file-claim.ts";
import { holderGone, type LockHolder, readLockFile } from "@pp/shared/db/embedded/server-lock.ts";
import { BUNDLE_FILES } from "../bundle/model-bundle.ts";
import { HOLDOUT_PREDICTIONS_FILE } from "./holdout-predictions.ts";

/** The completion marker: written after every other output of the run, removed before the first. */
export const TRAIN_OUTPUTS_FILE = "train-outputs.json";

/** Every file `ml train` may write into --out (an earlier run's, not written now, is removed). */
export const TRAIN_OUTPUT_NAMES: readonly string[] = [
  ...Object.values(BUNDLE_FILES),
  HOLDOUT_PREDICTIONS_FILE,
  TRAIN_OUTPUTS_FILE,
];

interface MarkerFile {
  bytes: number;
  sha256: string;
}

/** train-outputs.json's content. */
export interface TrainOutputsMarker {
  complete: true;
  trained_at: string;
  files: Record<string, MarkerFile>;
}

/** Written files, by name, for the marker. */
export type WrittenOutputs = Map<string, MarkerFile>;

/** Held by the run writing --out (its pid and host): a second run on the folder is refused. */
export const TRAIN_OUTPUTS_LOCK = ".train-outputs.lock";

/** --out is being written by another run that is still alive. */
export class TrainOutputsBusyError extends Error {
  override name = "TrainOutputsBusyError";
}

/** The run's hold on --out, from beginTrainOutputs; released by finishTrainOutputs or on failure. */
export interface TrainOutputsLock {
  release(): Promise<void>;
}

/**
 * Readies --out for a run that writes `names`: takes the folder's lock (another live run's
 * refuses this one: its files in flight would be removed as a killed run's), removes the marker
 * (from here until finishTrainOutputs the folder is incomplete), temporaries a killed run left,
 * and outputs of an earlier run this one does not write (they would pass for this run's).
 */
export async function beginTrainOutputs(
  outDir: string,
  names: readonly string[],
): Promise<TrainOutputsLock> {
  await mkdir(outDir, { recursive: true });
  const lock = await lockTrainOutputs(outDir);
  try {
    await rm(join(outDir, TRAIN_OUTPUTS_FILE), { force: true });
    await removeStaleTemporaries(outDir, TRAIN_OUTPUT_NAMES);
    for (const name of TRAIN_OUTPUT_NAMES) {
      if (!names.includes(name)) await rm(join(outDir, name), { force: true });
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  return lock;
}

/** A lock's holder: server-lock.ts's pid and instance, and for messages its host and start. */
interface TrainOutputsHolder extends LockHolder {
  host?: string;
  since?: string;
}

/** This process in its locks (the instance tells it from a predecessor with its pid). */
const ME: LockHolder = { pid: process.pid, instance: crypto.randomUUID() };

/**
 * Takes --out's lock, a lock file of the embedded store's kind (server-lock.ts: it appears with
 * its content, and a dead holder's is removed under a takeover file, so two runs that find the
 * same dead holder cannot both go on). A live holder's refuses this run.
 */
async function lockTrainOutputs(outDir: string): Promise<TrainOutputsLock> {
  const path = join(outDir, TRAIN_OUTPUTS_LOCK);
  await claimLockFile<TrainOutputsHolder>({
    path,
    holder: { ...ME, host: hostname(), since: new Date().toISOString() },
    gone: holderGoneHere,
    whileHeld: async (held) => {
      throw busyError(outDir, held);
    },
  });
  // Only our own is removed: a lock taken over after ours was removed by hand stays.
  return { release: () => releaseLockFile(path, ME) };
}

/**
 * Refuses --out while another live run holds its lock: checked before training as well, so that a
 * run on a busy folder stops at once rather than after its training.
 */
export async function checkTrainOutputsFree(outDir: string): Promise<void> {
  const holder = readLockFile<TrainOutputsHolder>(join(outDir, TRAIN_OUTPUTS_LOCK));
  if (holder && !holderGoneHere(holder)) throw busyError(outDir, holder);
}

/** Whether the holder is known gone: a run on another host cannot be checked, so it is not. */
function holderGoneHere(holder: TrainOutputsHolder): boolean {
  return (holder.host === undefined || holder.host === hostname()) && holderGone(holder, ME);
}

function busyError(outDir: string, holder: TrainOutputsHolder): TrainOutputsBusyError {
  const path = join(outDir, TRAIN_OUTPUTS_LOCK);
  return new TrainOutputsBusyError(
    `${outDir}: another ml train (pid ${holder.pid} on ${holder.host}, since ${holder.since}) is writing here; wait for it or give another --out (if no such run is alive, remove ${path})`,
  );
}

/** Writes one output atomically and records it for the marker. */
export async function writeTrainOutput(
  outDir: string,
  name: string,
  data: Uint8Array | string,
  written: WrittenOutputs,
): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeFileAtomic(join(outDir, name), bytes);
  written.set(name, { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
}

/** Writes the marker, last: the folder holds this run's outputs, complete. */
export async function finishTrainOutputs(
  outDir: string,
  written: WrittenOutputs,
  trainedAt: Date,
  lock: TrainOutputsLock,
): Promise<void> {
  const marker: TrainOutputsMarker = {
    complete: true,
    trained_at: trainedAt.toISOString(),
    files: Object.fromEntries(written),
  };
  await writeFileAtomic(join(outDir, TRAIN_OUTPUTS_FILE), `${JSON.stringify(marker, null, 2)}\n`);
  await lock.release();
}

/** A --out folder without a complete set of one run's outputs. */
export class IncompleteTrainOutputsError extends Error {
  override name = "IncompleteTrainOutputsError";
}

/**
 * Reads a --out folder's outputs, checked against its marker: the files of one finished run, by
 * name. Throws IncompleteTrainOutputsError without the marker (a run still writing, or killed) or
 * when a file differs from the one the marker lists.
 */
export async function readTrainOutputs(outDir: string): Promise<Map<string, Uint8Array>> {
  const markerPath = join(outDir, TRAIN_OUTPUTS_FILE);
  const text = await readFile(markerPath, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    throw new IncompleteTrainOutputsError(
      `${outDir}: no ${TRAIN_OUTPUTS_FILE}: the ml train run writing here has not finished (or was killed); its files may be mixed with an earlier run's: train again`,
    );
  });
  const marker = JSON.parse(text) as TrainOutputsMarker;
  const files = new Map<string, Uint8Array>();
  for (const [name, listed] of Object.entries(marker.files)) {
    const bytes = new Uint8Array(await readFile(join(outDir, name)).catch(() => new Uint8Array()));
    if (bytes.byteLength !== listed.bytes || (await sha256Hex(bytes)) !== listed.sha256) {
      throw new IncompleteTrainOutputsError(
        `${outDir}: ${name} is not the file ${TRAIN_OUTPUTS_FILE} lists (changed or removed since ml train wrote it)`,
      );
    }
    files.set(name, bytes);
  }
  return files;
}
