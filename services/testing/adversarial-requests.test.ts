// The request fuzzer's own mutation step: values it sets are copies, so a shared constant set
// inside itself cannot make a cyclic body (seen once in CI as "cannot serialize cyclic structures").
import { expect, test } from "bun:test";
import { mutate } from "./adversarial-requests.ts";

test("mutate sets copies: a constant set inside itself makes no cycle and stays unchanged", () => {
  const shared = { k: 1 };
  // Paths of {a: 1} after the first set: [], ["a"], ["a", "k"]; the second set targets a.k.
  const body = mutate({ a: 1 }, [
    { at: 1, op: "set", value: shared },
    { at: 2, op: "set", value: shared },
  ]);
  expect(JSON.stringify(body)).toBe('{"a":{"k":{"k":1}}}');
  expect(shared).toEqual({ k: 1 });
});
