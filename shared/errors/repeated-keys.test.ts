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

test("an object of many keys (past the short list) finds a repeat before and after the switch", () => {
  const keys = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
  expect(paths(`{${keys.join(",")}}`)).toEqual([]);
  expect(paths(`{${keys.join(",")},"k3":1,"k39":2}`)).toEqual(["k3", "k39"]);
  expect(paths(`{${keys.slice(0, 15).join(",")},"k0":1}`)).toEqual(["k0"]);
  expect(paths(`{${keys.slice(0, 16).join(",")},"k15":1}`)).toEqual(["k15"]);
  // A string ending in backslashes: the quote after an even run closes it.
  expect(paths('{"a":"x\\\\","a":"\\"","b":1,"b":2}')).toEqual(["a", "b"]);
});
