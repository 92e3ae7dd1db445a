// A file-system error from Node's or Bun's fs (ENOENT, EACCES, …) as the one line `ml` prints:
// the path and what is wrong with it, instead of a stack trace (a mistyped --out folder, a
// --from-file that is not there). Exit 2 for a path that cannot be right, 1 for the machine's state.

const REASONS: Record<string, { reason: string; exitCode: number }> = {
  ENOENT: {
    reason: "no such file or folder; check the path and that its folder exists",
    exitCode: 2,
  },
  ENOTDIR: { reason: "a part of the path is a file, not a folder", exitCode: 2 },
  EISDIR: { reason: "is a folder; give a file", exitCode: 2 },
  EEXIST: { reason: "already exists; give another path", exitCode: 2 },
  ENAMETOOLONG: { reason: "the name is too long", exitCode: 2 },
  EACCES: { reason: "permission denied", exitCode: 1 },
  EPERM: { reason: "operation not permitted", exitCode: 1 },
  EROFS: { reason: "read-only file system", exitCode: 1 },
  ENOSPC: { reason: "no space left on the device", exitCode: 1 },
  EDQUOT: { reason: "disk quota exceeded", exitCode: 1 },
};

/** The line and exit code for a file-system error with a path, else null. */
export function fileSystemProblem(error: unknown): { message: string; exitCode: number } | null {
  const e = error as { code?: unknown; path?: unknown; syscall?: unknown } | null;
  if (typeof e?.code !== "string" || typeof e.path !== "string") return null;
  const known = REASONS[e.code];
  if (!known) return null;
  const call = typeof e.syscall === "string" ? ` on ${e.syscall}` : "";
  return { message: `${e.path}: ${known.reason} (${e.code}${call})`, exitCode: known.exitCode };
}
