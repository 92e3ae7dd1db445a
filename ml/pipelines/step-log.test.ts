import { expect, test } from "bun:test";
import { runningFits } from "./gbdt-models.ts";
import { createStepLog, NOTE_EVERY_MS } from "./step-log.ts";

test("without a bar, a counter's notes are lines at most every NOTE_EVERY_MS, after ticks too", () => {
  const lines: string[] = [];
  let clock = 0;
  const steps = createStepLog({ write: (l) => lines.push(l), bar: false, now: () => clock });
  const counter = steps.counter("GBDT fits", 18);
  counter.note("1 running, 5 trees so far"); // too soon after the start
  clock = NOTE_EVERY_MS;
  counter.note("1 running, 40 trees so far");
  clock += 1_000;
  counter.note("1 running, 41 trees so far"); // too soon after the last note
  counter.tick("count fold 1");
  clock += NOTE_EVERY_MS - 1;
  counter.note("2 running, 7 and 9 trees so far"); // too soon after the tick
  clock += 1;
  counter.note("2 running, 8 and 10 trees so far");
  expect(lines).toEqual([
    "[train]   GBDT fits 0/18, 1 running, 40 trees so far",
    "[train]   GBDT fits 1/18 count fold 1",
    "[train]   GBDT fits 1/18, 2 running, 8 and 10 trees so far",
  ]);
});

test("running fits are named by their trees", () => {
  expect(runningFits([1])).toBe("1 running, 1 tree so far");
  expect(runningFits([1234])).toBe("1 running, 1,234 trees so far");
  expect(runningFits([88, 55])).toBe("2 running, 88 and 55 trees so far");
  expect(runningFits([3, 2, 1])).toBe("3 running, 3, 2 and 1 trees so far");
});
