import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { jsonSyntaxProblem } from "./json-syntax.ts";

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe("jsonSyntaxProblem", () => {
  test.each([
    ['{"horizon":', "unexpected end of input at line 1, column 12"],
    ['{"customer"', "unexpected end of input at line 1, column 12"],
    ['{"customer" 1}', 'unexpected "1" (expected ":") at line 1, column 13'],
    ['{"a":"x\u0000y"}', 'unescaped control character "\\u0000" in a string at line 1, column 8'],
    [
      '{\n  "a": 1,\n}',
      'unexpected "}" (expected a property name in double quotes) at line 3, column 1',
    ],
    ["[1 2]", 'unexpected "2" (expected "," or "]") at line 1, column 4'],
    ['{"a":1]', 'unexpected "]" (expected "," or "}") at line 1, column 7'],
    ["{} x", 'unexpected "x" after the JSON value at line 1, column 4'],
    ["01", 'unexpected "1" after the JSON value at line 1, column 2'],
    ["-", "unexpected end of input at line 1, column 2"],
    ["1.e5", 'unexpected "e" after a decimal point at line 1, column 3'],
    ["1e+", "unexpected end of input at line 1, column 4"],
    ["tru", "unexpected end of input at line 1, column 4"],
    ["nul!", 'unexpected "!" at line 1, column 4'],
    ['"\\x"', 'unexpected "x" after a backslash in a string at line 1, column 3'],
    ['"\\u12G4"', 'unexpected "G" in a \\u escape (four hex digits) at line 1, column 6'],
    ["{'a':1}", 'unexpected "\'" (expected a property name in double quotes) at line 1, column 2'],
    ["🙂", 'unexpected "🙂" at line 1, column 1'],
    ["NaN", 'unexpected "N" at line 1, column 1'],
  ])("%j: %s", (text, message) => {
    expect(parses(text)).toBe(false);
    expect(jsonSyntaxProblem(text)).toBe(message);
  });

  test("deep nesting is scanned without recursion", () => {
    const text = `${"[".repeat(200_000)}1${"]".repeat(199_999)}`;
    expect(jsonSyntaxProblem(text)).toBe(
      `unexpected end of input at line 1, column ${text.length + 1}`,
    );
  });

  // The scan must refuse exactly what JSON.parse refuses: a body JSON.parse accepts never gets
  // here, and one it refuses must get a place, not the fallback.
  test("agrees with JSON.parse on valid JSON and on one-character edits of it", () => {
    const edit = fc.tuple(
      fc.json(),
      fc.nat(),
      fc.constantFrom(
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        '"',
        "\\",
        "0",
        "-",
        ".",
        "e",
        "\u0000",
        "x",
      ),
      fc.boolean(),
    );
    fc.assert(
      fc.property(edit, ([json, at, ch, replace]) => {
        const i = json.length === 0 ? 0 : at % json.length;
        const text = json.slice(0, i) + ch + json.slice(replace ? i + 1 : i);
        const problem = jsonSyntaxProblem(text);
        expect({ text, accepted: problem === "not a JSON value" }).toEqual({
          text,
          accepted: parses(text),
        });
      }),
      { numRuns: 5000 },
    );
  });
});
