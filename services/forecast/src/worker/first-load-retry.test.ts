// The first-load retry schedule of a Worker isolate: 1 s, then doubling up to the poll interval
// (or 30 s with polling off), on a fake clock.
import { expect, test } from "bun:test";
import { FirstLoadRetry } from "./first-load-retry.ts";

/** The times (ms) at which a request asking every 100 ms finds a retry due, up to `until`. */
function dueTimes(pollIntervalMs: number, until: number): number[] {
  let now = 0;
  const retry = new FirstLoadRetry(pollIntervalMs, () => now);
  const due: number[] = [];
  for (; now <= until; now += 100) if (retry.due()) due.push(now);
  return due;
}

test("due after 1 s, then 2, 4, 8 s apart, capped at the poll interval", () => {
  expect(dueTimes(5_000, 30_000)).toEqual([1_000, 3_000, 7_000, 12_000, 17_000, 22_000, 27_000]);
});

test("with polling off the retries go on, at most 30 s apart", () => {
  const due = dueTimes(0, 200_000);
  expect(due.slice(0, 5)).toEqual([1_000, 3_000, 7_000, 15_000, 31_000]);
  expect(due.slice(5, 8)).toEqual([61_000, 91_000, 121_000]);
});
