// The artifact store contract: immutable blobs addressed by a key, located by a URI (file:// for a
// local directory, s3:// for an S3-compatible bucket shared by every process and container). Runtime-neutral: only the implementations touch files or networks.

/** What `put` stored: where, how big, and its sha256 (hex). */
export interface StoredArtifact {
  key: string;
  uri: string;
  sha256: string;
  bytes: number;
}

export interface ArtifactStore {
  /** URI of the store's root, e.g. `file:///srv/pp/artifacts`. */
  readonly baseUri: string;
  /** The URI an object with this key has (or would have). */
  uriFor(key: string): string;
  /** The key of a URI inside this store; throws when the URI belongs elsewhere. */
  keyFor(uri: string): string;
  /** Writes atomically: readers see the old object or the whole new one, never a part. */
  put(key: string, bytes: Uint8Array): Promise<StoredArtifact>;
  /** The object's bytes; throws {@link ArtifactNotFoundError} when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; no error when it is already gone. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Objects whose keys start with `prefix`, sorted by key, with their times and sizes. */
  listObjects(prefix: string): Promise<ArtifactObject[]>;
  /**
   * What writes killed midway left behind (never visible to `get` or `list`), for `ml gc`; each
   * removable with `delete(key)`. None on S3: a PUT stores the whole object or nothing.
   */
  listUnfinishedWrites(): Promise<ArtifactObject[]>;
}

/** One stored object as listed. */
export interface ArtifactObject {
  key: string;
  modified: Date;
  bytes: number;
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly uri: string) {
    super(`artifact not found: ${uri}`);
    this.name = "ArtifactNotFoundError";
  }
}

/** A file could not be written (a full disk, a read-only mount): names the file and the system's
 * reason in one line; the error itself is the cause. */
export class ArtifactWriteError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`could not write ${path} (${(cause as Error)?.message ?? String(cause)})`, { cause });
    this.name = "ArtifactWriteError";
  }
}

export class InvalidArtifactKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid artifact key ${JSON.stringify(key)}: ${reason}`);
    this.name = "InvalidArtifactKeyError";
  }
}

/** A registered version's files: `<store>/models/<name>/<uuid>/<file>` (ModelRegistry.register). */
const REGISTERED_URI =
  /^(.+)\/models\/[^/]+\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\//;

/**
 * A URI not under `baseUri`. A registered version's URI says which store it was written to; the
 * usual cause is an upgrade started elsewhere without ARTIFACT_STORE_URI, whose default
 * (DATA_DIR/artifacts, DATA_DIR ./.data) follows the working directory, so name the fix.
 */
export function outsideStoreError(uri: string, baseUri: string): Error {
  const registeredIn = REGISTERED_URI.exec(uri)?.[1];
  if (!registeredIn) return new Error(`artifact URI ${uri} is not inside the store ${baseUri}`);
  // The fix first: /ready shows only a reason's first 200 characters.
  return new Error(
    `registered in the artifact store ${registeredIn}: set ARTIFACT_STORE_URI to it (this process reads ${baseUri}; the default, DATA_DIR/artifacts, follows the working directory); artifact URI ${uri}`,
  );
}

const KEY_SEGMENT = /^[A-Za-z0-9._=-]+$/;

/** Keys are relative, `/`-separated paths of plain segments (no `..`, no empty or hidden tricks). */
export function assertValidArtifactKey(key: string): void {
  if (key.length === 0 || key.length > 1024) {
    throw new InvalidArtifactKeyError(key, "must be 1 to 1024 characters");
  }
  for (const segment of key.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new InvalidArtifactKeyError(key, "empty, '.' or '..' path segment");
    }
    if (!KEY_SEGMENT.test(segment)) {
      throw new InvalidArtifactKeyError(key, "segments may only use letters, digits and . _ = -");
    }
  }
}
