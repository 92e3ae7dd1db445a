// writeFileAtomic / withAtomicFile: the target holds the old bytes or the new, never a part; a
// failed write leaves no temporary file; removeStaleTemporaries removes only outputs' temporaries.

import { afterAll, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  publishWrittenFile,
  removeStaleTemporaries,
  temporaryPathFor,
  temporaryTarget,
  withAtomicFile,
  writeFileAtomic,
} from "./atomic-file.ts";

const root = mkdtempSync(join(tmpdir(), "pp-atomic-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("writes and overwrites whole files, leaving no temporary file", async () => {
  const path = join(root, "metrics.json");
  await writeFileAtomic(path, "{}\n");
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  expect([...readFileSync(path)]).toEqual([1, 2, 3]);
  expect(readdirSync(root)).toEqual(["metrics.json"]);
});

test("until the rename the target keeps its old content; a failed write keeps it and leaves nothing", async () => {
  const path = join(root, "report.html");
  writeFileSync(path, "old");
  await expect(
    withAtomicFile(path, async (handle) => {
      await handle.write("half of the new");
      expect(readFileSync(path, "utf8")).toBe("old");
      throw new Error("disk gone");
    }),
  ).rejects.toThrow("disk gone");
  expect(readFileSync(path, "utf8")).toBe("old");
  expect(readdirSync(root).filter((name) => name.startsWith("report.html"))).toEqual([
    "report.html",
  ]);
});

test("temporary names never end like the output; stale ones are removed only for the names given", async () => {
  const dir = join(root, "stale");
  const tmp = temporaryPathFor(join(dir, "model.json"));
  expect(tmp).toMatch(/model\.json\.tmp-[0-9a-f-]{36}$/);
  expect(temporaryTarget(tmp.slice(dir.length + 1))).toBe("model.json");
  expect(temporaryTarget("model.json")).toBeNull();
  expect(await removeStaleTemporaries(dir, ["model.json"])).toEqual([]); // no folder yet
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(tmp, "{ half");
  const other = temporaryPathFor(join(dir, "notes.txt"));
  writeFileSync(other, "someone else's");
  writeFileSync(join(dir, "model.json.tmp-keep"), "not ours");
  expect(await removeStaleTemporaries(dir, ["model.json"])).toEqual([tmp.slice(dir.length + 1)]);
  expect(readdirSync(dir).sort()).toEqual(
    [other.slice(dir.length + 1), "model.json.tmp-keep"].sort(),
  );
});

test("a path that is not a file (a FIFO, /dev/stdout) is written in place", async () => {
  const fifo = join(root, "fifo");
  Bun.spawnSync(["mkfifo", fifo]);
  const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
  await writeFileAtomic(fifo, "through the pipe\n");
  expect(await new Response(reader.stdout).text()).toBe("through the pipe\n");
  expect(readdirSync(root).filter((name) => name.startsWith("fifo"))).toEqual(["fifo"]);
});

test("through a symbolic link the file it points to is replaced, the link kept", async () => {
  const real = join(root, "real.csv");
  const link = join(root, "link.csv");
  writeFileSync(real, "old\n");
  symlinkSync(real, link);
  await writeFileAtomic(link, "new\n");
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(real, "utf8")).toBe("new\n");
});

// A directory cannot be replaced by a file: the write used to run to the end (a whole `ml
// simulate` CSV, a whole `ml score` run) into a temporary file before the rename failed.
test("a directory as the target fails before anything is written", async () => {
  const dir = join(root, "a-folder.csv");
  mkdirSync(dir);
  let called = false;
  await expect(
    withAtomicFile(dir, async () => {
      called = true;
    }),
  ).rejects.toMatchObject({ code: "EISDIR" });
  expect(called).toBe(false);
  expect(readdirSync(root).filter((name) => name.startsWith("a-folder.csv"))).toEqual([
    "a-folder.csv",
  ]);
});

// A link to a file not written yet (`latest.csv -> runs/today.csv`) was replaced by a plain file:
// stat failed, so the link itself was the target; a plain write creates the file it names.
test("through a dangling symbolic link the file it names is created, the link kept", async () => {
  const real = join(root, "runs", "today.csv");
  mkdirSync(join(root, "runs"));
  const link = join(root, "latest.csv");
  symlinkSync("runs/today.csv", link);
  await writeFileAtomic(link, "first\n");
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
  expect(readFileSync(real, "utf8")).toBe("first\n");
  expect(readdirSync(join(root, "runs"))).toEqual(["today.csv"]);
});

// A plain writeFile kept a file's mode; the renamed-in file had the default one, so a
// holdout-predictions.csv (customer ids) an operator had made private became readable by all.
test("a file replaced keeps its permissions", async () => {
  const path = join(root, "holdout-predictions.csv");
  writeFileSync(path, "old\n");
  chmodSync(path, 0o600);
  await writeFileAtomic(path, "new\n");
  expect(statSync(path).mode & 0o777).toBe(0o600);
  await writeFileAtomic(join(root, "fresh.csv"), "new\n");
  expect(statSync(join(root, "fresh.csv")).mode & 0o777).toBe(0o666 & ~process.umask());
});

// `ml simulate --out /nonexistent/dir/log.csv` said '/nonexistent/dir/log.csv.tmp-<uuid>: no such
// file or folder', a name the user never gave (ml/cli/file-system-error.test.ts).
test("a folder that is not there is reported with the path given, not the temporary one", async () => {
  const path = join(root, "missing", "x.csv");
  await expect(writeFileAtomic(path, "x")).rejects.toMatchObject({ code: "ENOENT", path });
  await expect(writeFileAtomic(path, "x")).rejects.not.toThrow(".tmp-");
});

// ml score's Parquet files are written by DuckDB beside the target and published by
// publishWrittenFile (fsync, rename, folder fsync): the rename's outcome is all a test can see.
test("publishWrittenFile puts a finished file in place and leaves nothing behind on failure", async () => {
  const dir = join(root, "publish");
  mkdirSync(dir);
  const target = join(dir, "scores.parquet");
  writeFileSync(target, "old");
  const partial = join(dir, ".scores.parquet.partial");
  writeFileSync(partial, "new");
  await publishWrittenFile(partial, target);
  expect(readFileSync(target, "utf8")).toBe("new");
  expect(readdirSync(dir)).toEqual(["scores.parquet"]);
  // A partial file that is gone (removed under it): the target keeps what it held.
  await expect(publishWrittenFile(partial, target)).rejects.toThrow(/ENOENT/);
  // Into a folder that is gone: the partial file is removed, not left beside the old target.
  writeFileSync(partial, "newer");
  await expect(publishWrittenFile(partial, join(dir, "gone", "scores.parquet"))).rejects.toThrow();
  expect(readdirSync(dir)).toEqual(["scores.parquet"]);
  expect(readFileSync(target, "utf8")).toBe("new");
});
