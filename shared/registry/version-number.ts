// A model version as operators type it (`3` or `v3`): decimal digits only, since Number() also
// reads "0x10", "1e1" and " 3" as 16, 10 and 3, and at most what model_versions.version (a
// PostgreSQL integer) holds, so a larger one is "no such version", not a failed query.

/** The largest version number the registry can store (int4). */
export const MAX_VERSION = 2_147_483_647;

/** What a version argument must look like, for error messages. */
export const VERSION_FORMAT = `a version number from 1 to ${MAX_VERSION} such as 3 or v3`;

/**
 * `text` as a version number, or null when it is not one. No leading zero: `01` was version 1,
 * where key ids and policy versions (decimal-id.ts) refuse `02`.
 */
export function parseVersionNumber(text: string): number | null {
  const digits = /^v?([1-9]\d{0,9})$/i.exec(text)?.[1];
  return digits === undefined ? null : versionOrNull(Number(digits));
}

/** `n` when it is a storable version number, else null. */
export function versionOrNull(n: number): number | null {
  return Number.isInteger(n) && n >= 1 && n <= MAX_VERSION ? n : null;
}
