import { expect, test } from "bun:test";
import { MAX_VERSION, parseVersionNumber } from "./version-number.ts";

test("a version as operators type it: digits or v-digits, 1 to the int4 maximum, no leading zero", () => {
  expect(parseVersionNumber("3")).toBe(3);
  expect(parseVersionNumber("v3")).toBe(3);
  expect(parseVersionNumber("V12")).toBe(12);
  expect(parseVersionNumber(String(MAX_VERSION))).toBe(MAX_VERSION);
  // The hostile-input probe: `ml promote NAME 01` promoted version 1.
  for (const bad of [
    "01",
    "v01",
    "0",
    "0x10",
    "1e1",
    " 3",
    "+2",
    "-1",
    "3.0",
    String(MAX_VERSION + 1),
    "",
  ]) {
    expect({ bad, n: parseVersionNumber(bad) }).toEqual({ bad, n: null });
  }
});
