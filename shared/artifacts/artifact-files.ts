// Reads files from disk into the `{ name, bytes }` form the model registry registers (Node APIs).

import { readFile } from "node:fs/promises";
import { basename } from "node:path";

export interface NamedArtifact {
  name: string;
  bytes: Uint8Array;
}

/** Each path becomes an artifact named after its file name unless a name is given. */
export async function readArtifactFiles(
  files: (string | { name: string; path: string })[],
): Promise<NamedArtifact[]> {
  return Promise.all(
    files.map(async (file) => {
      const { name, path } = typeof file === "string" ? { name: basename(file), path: file } : file;
      return { name, bytes: new Uint8Array(await readFile(path)) };
    }),
  );
}
