// Locates the CDNOW reference sample outside the repository (../shared/data/cdnow from the repo
// root) for tests and benchmarks, and says so loudly when it is missing instead of passing quietly.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of CDNOW_sample.txt, wherever the repository is checked out. */
export const CDNOW_SAMPLE_PATH = fileURLToPath(
  new URL("../../../shared/data/cdnow/CDNOW_sample.txt", import.meta.url),
);

/**
 * The sample's path, or null after a loud warning when it is absent. With CI_REQUIRE_CDNOW=1 a
 * missing sample throws, so CI cannot go green without the data-dependent assertions.
 */
export function cdnowSampleOrWarn(who: string): string | null {
  if (existsSync(CDNOW_SAMPLE_PATH)) return CDNOW_SAMPLE_PATH;
  const message = `CDNOW sample not found at ${CDNOW_SAMPLE_PATH}: ${who} is NOT checked`;
  if (process.env.CI_REQUIRE_CDNOW === "1") throw new Error(message);
  console.warn(`\n${"!".repeat(78)}\n!!! ${message}\n${"!".repeat(78)}\n`);
  return null;
}
