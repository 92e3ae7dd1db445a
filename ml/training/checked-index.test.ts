import { describe, expect, test } from "bun:test";
import { at } from "./checked-index.ts";

describe("at", () => {
  test("reads an element in range, from arrays and typed arrays", () => {
    expect(at([3, 4, 5], 2)).toBe(5);
    expect(at(Float64Array.of(0.5, -1), 1)).toBe(-1);
  });

  test("throws a RangeError naming the index outside the range", () => {
    expect(() => at([1, 2], 2)).toThrow("index 2 outside 0..1");
    expect(() => at(new Float64Array(0), 0)).toThrow(RangeError);
    expect(() => at([1], -1)).toThrow(RangeError);
  });
});
