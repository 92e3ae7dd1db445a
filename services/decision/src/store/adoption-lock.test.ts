// The adoption lock in one process: a lock naming this process's pid was left by a predecessor
// (pid 1 in a restarted container) and is taken over; a live holder is waited for until it dies.
// (Locks left by killed processes, with real processes adopting: legacy-decision-store.test.ts.)
import { afterAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withAdoptionLock } from "./adoption-lock.ts";

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "pp-adopt-lock-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Settles with the adoption's result, or "still waiting" after `ms`. */
function within<T>(ms: number, work: Promise<T>): Promise<T | "still waiting"> {
  return Promise.race([
    work,
    new Promise<"still waiting">((r) => setTimeout(r, ms, "still waiting")),
  ]);
}

test.each([
  ["as this version writes it", () => JSON.stringify({ pid: process.pid, instance: "previous" })],
  ["as the previous version wrote it (a bare pid)", () => String(process.pid)],
])("a lock naming this process's pid %s is a predecessor's: taken over", async (_, content) => {
  const dir = newDir();
  writeFileSync(join(dir, "decision.adopt.lock"), content());
  expect(
    await within(
      10_000,
      withAdoptionLock(dir, async () => "adopted"),
    ),
  ).toBe("adopted");
  expect(existsSync(join(dir, "decision.adopt.lock"))).toBe(false);
});

test("a live holder is waited for; once it is gone the lock is taken over", async () => {
  const dir = newDir();
  const holder = spawn("sleep", ["60"], { stdio: "ignore" });
  const exited = new Promise((r) => holder.once("exit", r));
  try {
    writeFileSync(join(dir, "decision.adopt.lock"), JSON.stringify({ pid: holder.pid }));
    const adoption = withAdoptionLock(dir, async () => "adopted");
    expect(await within(1000, adoption)).toBe("still waiting");
    holder.kill("SIGKILL");
    await exited;
    expect(await within(10_000, adoption)).toBe("adopted");
  } finally {
    holder.kill("SIGKILL");
  }
});

test("calls in one process take turns", async () => {
  const dir = newDir();
  const order: string[] = [];
  const turn = (name: string) =>
    withAdoptionLock(dir, async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 200));
      order.push(`${name} out`);
    });
  await within(10_000, Promise.all([turn("a"), turn("b")]));
  expect(order).toEqual(["a in", "a out", "b in", "b out"]);
});
