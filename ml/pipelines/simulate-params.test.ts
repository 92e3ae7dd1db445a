// `ml simulate --params`: names and values checked, and a parameter given twice is refused (it
// took the last value without a word: r=0.3,r=0.5 simulated r = 0.5).
import { expect, test } from "bun:test";
import { parseParamOverrides } from "./simulate.ts";

test("--params reads name=value pairs for the model's parameters", () => {
  expect(parseParamOverrides("r=0.3, alpha=5", "bgnbd")).toEqual({ r: 0.3, alpha: 5 });
  expect(() => parseParamOverrides("s=1", "bgnbd")).toThrow(/unknown parameter "s" for bgnbd/);
  expect(() => parseParamOverrides("r=-1", "bgnbd")).toThrow(/r must be a positive number/);
});

test("a parameter given twice is refused, naming it and both values", () => {
  expect(() => parseParamOverrides("r=0.3,alpha=5,r=0.5", "bgnbd")).toThrow(
    "--params: r is given twice (0.3 and 0.5): give each parameter once",
  );
});
