// An artifact store in a local directory, addressed by file:// URIs. Writes go to a temporary file
// that is fsynced and renamed into place (atomic-file.ts), so a crash never leaves a half-written
// artifact.

import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ArtifactNotFoundError,
  type ArtifactObject,
  type ArtifactStore,
  ArtifactWriteError,
  assertValidArtifactKey,
  outsideStoreError,
  type StoredArtifact,
} from "./artifact-store.ts";
import { TEMPORARY_MARK as TEMPORARY, writeFileAtomic } from "./atomic-file.ts";
import { sha256Hex } from "./sha256.ts";

export class FileArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly baseUri: string;

  /** `location` is a directory path or a `file://` URI; the directory is created on first write. */
  constructor(location: string) {
    this.root = resolve(location.startsWith("file:") ? fileURLToPath(location) : location);
    this.baseUri = pathToFileURL(this.root).href;
  }

  uriFor(key: string): string {
    assertValidArtifactKey(key);
    return `${this.baseUri}/${key}`;
  }

  keyFor(uri: string): string {
    const prefix = `${this.baseUri}/`;
    if (!uri.startsWith(prefix)) throw outsideStoreError(uri, this.baseUri);
    const key = uri.slice(prefix.length);
    assertValidArtifactKey(key);
    return key;
  }

  private pathOf(key: string): string {
    assertValidArtifactKey(key);
    return join(this.root, ...key.split("/"));
  }

  async put(key: string, bytes: Uint8Array): Promise<StoredArtifact> {
    const path = this.pathOf(key);
    try {
      await mkdir(dirname(path), { recursive: true });
      // A full disk stops the write midway: writeFileAtomic removes the part written, as
      // listings (and so `ml gc`) skip temporary files.
      await writeFileAtomic(path, bytes);
    } catch (error) {
      throw new ArtifactWriteError(path, error);
    }
    return { key, uri: this.uriFor(key), sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new ArtifactNotFoundError(this.uriFor(key));
      }
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /**
   * Every file under directory `dir` (a key, or "" for the root) as a key (`/`-separated), or
   * none when it is missing. Listing a prefix walks only the directory it names: walking the whole
   * store made `ml forget`'s sweep (one listing per version) grow with versions squared.
   */
  private async keysUnder(dir = ""): Promise<string[]> {
    const from = dir === "" ? this.root : this.pathOf(dir);
    let entries: string[];
    try {
      entries = await readdir(from, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return [];
      throw error;
    }
    return entries.map((entry) => relative(this.root, join(from, entry)).split(sep).join("/"));
  }

  /** The deepest directory (a key, or "" for the root) holding every key that starts with `prefix`. */
  private static directoryOf(prefix: string): string {
    const dir = prefix.slice(0, Math.max(0, prefix.lastIndexOf("/")));
    try {
      if (dir !== "") assertValidArtifactKey(dir);
      return dir;
    } catch {
      return ""; // not a key's directory ("a//b", ".."): walk the whole store and filter
    }
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.listObjects(prefix)).map((o) => o.key);
  }

  /** The temporary files of writes killed before their rename (kill -9, a power cut). */
  async listUnfinishedWrites(): Promise<ArtifactObject[]> {
    const keys = (await this.keysUnder()).filter((key) => key.includes(TEMPORARY));
    return this.statKeys(keys.sort());
  }

  async listObjects(prefix: string): Promise<ArtifactObject[]> {
    const keys = await this.keysUnder(FileArtifactStore.directoryOf(prefix));
    return this.statKeys(keys.filter((k) => k.startsWith(prefix) && !k.includes(TEMPORARY)).sort());
  }

  private async statKeys(keys: string[]): Promise<ArtifactObject[]> {
    const out: ArtifactObject[] = [];
    for (const key of keys) {
      try {
        const info = await stat(this.pathOf(key));
        if (info.isFile()) out.push({ key, modified: info.mtime, bytes: info.size });
      } catch {
        // removed since listed
      }
    }
    return out;
  }
}
