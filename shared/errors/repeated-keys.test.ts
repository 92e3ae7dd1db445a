import { expect, test } from "bun:test";
import { repeatedKeys } from "./repeated-keys.ts";

const paths = (text: string) => repeatedKeys(text).map((r) => r.path.join("."));

test("repeated keys are found at their path; braces, quotes and escapes inside strings are text", () => {
  expect(paths('{"a":1,"b":{"c":[1,{"d":1,"d":2}]},"a":3}')).toEqual(["b.c.1.d", "a"]);
  expect(paths('{"a":"}{\\"a\\":","b":"\\\\","a":1}')).toEqual(["a"]);
  expect(paths('{"x":{"a":1},"y":{"a":1},"z":[{"a":1},{"a":2}]}')).toEqual([]);
  expect(paths('{"\\u0061":1,"a":2}')).toEqual(["a"]);
  expect(paths('[1,"a","a",{"k":"k"}]')).toEqual([]);
});

test("a body nested 100,000 levels deep is read without recursion", () => {
  const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
  expect(repeatedKeys(deep)).toEqual([]);
  expect(repeatedKeys(`{"a":${deep},"a":2}`).map((r) => r.path)).toEqual([["a"]]);
});
