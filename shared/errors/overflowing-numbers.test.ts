// The text check and walk behind overflowing numbers' 400 (overflowing-numbers.ts); the routes'
// answers: services/decision/src/routes/overflowing-numbers-routes.test.ts.
import { expect, test } from "bun:test";
import { findOverflowingNumbers, mayOverflow } from "./overflowing-numbers.ts";

test("the text check lets ordinary bodies through unwalked, and the walk finds only infinities", () => {
  expect(mayOverflow('{"a":1.5e10,"b":"1e999 in a string","c":12345678901234567890}')).toBe(true);
  expect(mayOverflow('{"a":1.5e10,"b":0.001,"c":1e-5}')).toBe(false);
  // An id holding "e123" is no number's exponent: the body is not walked.
  expect(mayOverflow('{"id":"joe123","b":1.5e10}')).toBe(false);
  expect(mayOverflow(`{"a":${"9".repeat(309)}}`)).toBe(true);
  expect(findOverflowingNumbers(JSON.parse('{"b":"1e999","c":[1,{"d":1e308}]}'))).toEqual([]);
  const found = findOverflowingNumbers(JSON.parse(`{"c":[1,{"d":-1e309}],"e":${"9".repeat(309)}}`));
  expect(found).toHaveLength(2);
  expect(found).toEqual(
    expect.arrayContaining([
      { path: ["c", "1", "d"], message: expect.stringContaining("reads as -Infinity") },
      { path: ["e"], message: expect.stringContaining("reads as Infinity") },
    ]),
  );
});
