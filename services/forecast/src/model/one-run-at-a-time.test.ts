// OneRunAtATime: callers share the run under way; changes signalled during a run give exactly one
// more run after it; a failed run does not stop the next; idle waits for the run under way.
import { expect, test } from "bun:test";
import { OneRunAtATime } from "./one-run-at-a-time.ts";

test("shared runs, one more after changes during a run, failures do not stick", async () => {
  let runs = 0;
  let release: () => void = () => {};
  let fail = false;
  const once = new OneRunAtATime(async () => {
    runs++;
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    if (fail) throw new Error("boom");
    return runs;
  });
  const a = once.run();
  const b = once.run();
  expect(a).toBe(b); // one run, shared
  once.changed();
  once.changed(); // two changes during the run: one more run, not two
  release();
  expect(await a).toBe(1);
  await Bun.sleep(0);
  expect(runs).toBe(2);
  fail = true;
  const idle = once.idle();
  release();
  await idle; // the failed run is waited for, its error not thrown here
  await Bun.sleep(0);
  expect(runs).toBe(2); // no change during it: no further run
  fail = false;
  once.changed(); // nothing under way: runs now
  expect(runs).toBe(3);
  release();
  await once.idle();
});

test("a run under way past abandonAfterMs is no longer shared, and is told it is not current", async () => {
  let clock = 0;
  const currents: Array<() => boolean> = [];
  const releases: Array<() => void> = [];
  const once = new OneRunAtATime(
    async (isCurrent) => {
      currents.push(isCurrent);
      await new Promise<void>((resolve) => releases.push(resolve));
      return currents.length;
    },
    { abandonAfterMs: 1000, now: () => clock },
  );
  const stuck = once.run();
  clock = 999;
  expect(once.run()).toBe(stuck);
  clock = 1000;
  const next = once.run();
  expect(next).not.toBe(stuck);
  expect(currents.map((c) => c())).toEqual([false, true]);
  releases[0]?.(); // the abandoned run ends first: the newer one stays the run under way
  await stuck;
  expect(once.run()).toBe(next);
  releases[1]?.();
  expect(await next).toBe(2);
});
