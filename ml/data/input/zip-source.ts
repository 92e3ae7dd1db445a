// A log inside a .zip (how Kaggle and many shop back-ends hand exports out): the archive's one data
// file is extracted to the temp folder and read as that file, its messages naming it
// `archive.zip (entry.csv)`. An archive with several data files is an error listing them.

import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { InputError } from "./input-error.ts";
import type { LogSource } from "./log-input.ts";
import { tempCopyFolder } from "./temp-copies.ts";

/** Entries a log can be (by extension), as --data recognises them. */
const DATA_FILE = /\.(csv|tsv|txt|csv\.gz|tsv\.gz|parquet|json|ndjson|jsonl|xlsx)$/i;

/** True when `--data` names a zip archive. */
export function isZipPath(path: string): boolean {
  return /\.zip$/i.test(path);
}

/** The source for the extracted entry: its kind by its extension, a CSV's options kept. */
export function sourceOfEntry(source: LogSource, path: string): LogSource {
  if (/\.parquet$/i.test(path)) return { kind: "parquet", path };
  if (/\.(json|ndjson|jsonl)$/i.test(path)) return { kind: "json", path };
  if (/\.xlsx$/i.test(path)) {
    const sheet = source.kind === "xlsx" ? source.sheet : undefined;
    return { kind: "xlsx", path, ...(sheet !== undefined ? { sheet } : {}) };
  }
  return source.kind === "csv" ? { ...source, path } : { kind: "csv", path };
}

/** The archive's data files (folders, macOS resource forks and hidden files left out). */
async function dataEntries(zip: string) {
  const { Open } = await import("unzipper");
  let directory: Awaited<ReturnType<typeof Open.file>>;
  try {
    directory = await Open.file(zip);
  } catch (error) {
    throw new InputError(
      undefined,
      `${zip}: cannot be read as .zip: it is not a whole zip archive (${(error as Error).message})`,
      { hint: "download it again, or unzip it and pass the file inside with --data" },
    );
  }
  const files = directory.files.filter((f) => f.type === "File");
  // macOS adds __MACOSX/._name resource forks; hidden files are never the log.
  const data = files.filter(
    (f) =>
      DATA_FILE.test(f.path) &&
      !f.path.startsWith("__MACOSX/") &&
      !basename(f.path).startsWith("."),
  );
  return { files, data };
}

/**
 * Runs `read` on the zip's one data file, extracted to the temp folder (removed after); paths in
 * its errors become `archive.zip (entry)`.
 */
export async function readZipped<T>(zip: string, read: (path: string) => Promise<T>): Promise<T> {
  const { files, data } = await dataEntries(zip);
  const listed = (list: { path: string }[]) => list.map((f) => f.path).join(", ") || "nothing";
  const [entry] = data;
  if (entry === undefined || data.length > 1) {
    const problem =
      entry === undefined
        ? `holds no data file (it holds ${listed(files)})`
        : `holds ${data.length} data files (${listed(data)}); --data reads one`;
    const hint =
      entry === undefined
        ? "unzip it and pass the file to read with --data (a CSV, Parquet, JSON or .xlsx file)"
        : "unzip it and pass the folder with --data (exports that share a header are read as one log), or the file to read";
    throw new InputError(undefined, `${zip}: ${problem}`, { hint });
  }
  const dir = await tempCopyFolder("pp-zip-");
  const path = join(dir, basename(entry.path));
  try {
    await pipeline(entry.stream(), createWriteStream(path));
    return await read(path);
  } catch (error) {
    if (error instanceof Error) {
      error.message = error.message.replaceAll(path, `${zip} (${entry.path})`);
    }
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `read(path)`, or, for a .zip, `read` on the file inside it (readZipped). */
export function readPossiblyZipped<T>(
  path: string,
  read: (path: string) => Promise<T>,
): Promise<T> {
  return isZipPath(path) ? readZipped(path, read) : read(path);
}
