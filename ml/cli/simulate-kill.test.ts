// `ml simulate --out FILE.csv` killed with SIGKILL while it writes, as a real process: FILE.csv is
// still the earlier run's, byte for byte (it was cut to the rows written so far), and the part
// written sits in a FILE.csv.tmp-<uuid> that no reader takes for the output. Writes are slowed
// (slow-writes-preload.ts) so that the kill lands mid-file.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "pp-simulate-kill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const out = join(dir, "tx.csv");
const simulate = (seed: string) => [
  ...[process.execPath, "ml/cli.ts", "simulate", "--customers", "100000"],
  ...["--seed", seed, "--out", out],
];

test("killed mid-file, the earlier CSV is left whole and the part is a .tmp- file", async () => {
  const first = Bun.spawnSync(simulate("1"), { cwd: root });
  expect(first.exitCode).toBe(0);
  const before = readFileSync(out);
  expect(before.byteLength).toBeGreaterThan(3 << 20); // several 1 MB pieces
  const [exe, ...args] = simulate("2");
  const child = Bun.spawn(
    [exe as string, "--preload", "./ml/testing/slow-writes-preload.ts", ...args],
    {
      cwd: root,
      env: { ...process.env, PP_SLOW_WRITE_DIR: dir, PP_SLOW_WRITE_MS: "200" },
      stdout: "ignore",
    },
  );
  // Killed once a second piece of the new file is on disk (the earlier file is 3 MB and more).
  const writing = () => {
    const names = readdirSync(dir);
    const tmp = names.find((name) => name !== "tx.csv");
    if (tmp) return readFileSync(join(dir, tmp)).byteLength > 1 << 20;
    return readFileSync(out).byteLength < before.byteLength; // the old code: cut in place
  };
  while (child.exitCode === null && !writing()) await Bun.sleep(5);
  child.kill("SIGKILL");
  await child.exited;
  expect(child.signalCode).toBe("SIGKILL");
  const after = readFileSync(out);
  expect(after.byteLength).toBe(before.byteLength);
  expect(after.equals(before)).toBe(true);
  expect(readdirSync(dir).filter((name) => name !== "tx.csv")).toEqual([
    expect.stringMatching(/^tx\.csv\.tmp-[0-9a-f-]{36}$/),
  ]);
});
